#!/usr/bin/env python3
"""Writes examples/docs/pump_compressor_quick_reference.pdf: a 3-page bilingual PDF (English and
Chinese) whose text poppler extracts exactly. Python standard library only.

How the Chinese text stays extractable without embedding a font: ASCII runs use the standard
Helvetica fonts (WinAnsiEncoding; every PDF reader knows their metrics), every other character
uses a Type0 font with the Identity-H encoding whose 2-byte codes are the characters' Unicode
code points (BMP only), a fixed 1000-unit width (/DW), and a ToUnicode CMap mapping each code
used back to its character. Viewers substitute a system CJK font for display.

Usage: scripts/make_example_pdf.py [OUTPUT]   (default: the path above, relative to the repo)
"""

import os
import sys

PAGE_W, PAGE_H = 595, 842  # A4 in points
MARGIN_X, TOP_Y = 64, 770

# Each page: a list of (style, text) lines. Styles: "title", "h", "p". Lines are pre-wrapped.
PAGES = [
    [
        ("title", "P-200 Centrifugal Pump - Quick Reference"),
        ("p", "Document QR-P200, revision C. Keep this card at the pump station."),
        ("h", "Rated duty"),
        ("p", "Flow 120 m3/h at 45 m head; speed 2,900 rpm; motor 22 kW, 400 V, 50 Hz."),
        ("p", "Maximum casing pressure 16 bar; maximum liquid temperature 90 C."),
        ("h", "Start-up checklist"),
        ("p", "1. Open the suction valve fully and prime the pump until liquid flows from the vent."),
        ("p", "2. Never run the pump dry: the mechanical seal fails within seconds."),
        ("p", "3. Start with the discharge valve one quarter open, then open it slowly."),
        ("p", "4. Check that discharge pressure settles between 4.2 and 4.8 bar."),
        ("h", "Warning limits"),
        ("p", "Bearing housing temperature above 85 C: stop the pump and check lubrication."),
        ("p", "Vibration above 4.5 mm/s RMS: check alignment and the impeller for wear."),
        ("p", "Seal leakage above 10 drops per minute: plan a mechanical seal replacement."),
    ],
    [
        ("title", "SA-37 螺杆空压机快速参考卡"),
        ("p", "文件编号 QR-SA37，第B版。请将本卡放在空压机房。"),
        ("h", "额定参数"),
        ("p", "排气量 6.2 m3/min，额定排气压力 0.8 MPa，电机功率 37 kW。"),
        ("p", "排气温度正常范围为 75 至 95 摄氏度。"),
        ("h", "开机前检查"),
        ("p", "1. 检查油位：停机状态下油位应在油位计的绿色区域内。"),
        ("p", "2. 排放油气分离器和储气罐中的冷凝水。"),
        ("p", "3. 确认冷却器周围通风良好，进风口没有遮挡。"),
        ("h", "报警处理"),
        ("p", "排气温度超过 105 摄氏度时空压机自动停机。"),
        ("p", "请先清洁冷却器，再检查油位和温控阀。"),
        ("p", "压力不足时检查进气过滤器是否堵塞，以及管路是否泄漏。"),
    ],
    [
        ("title", "Lockout/Tagout - 挂牌上锁"),
        ("p", "Before any maintenance on pumps or compressors, follow these six steps."),
        ("p", "维修泵或空压机之前，必须按以下六个步骤执行挂牌上锁。"),
        ("h", "Steps / 步骤"),
        ("p", "1. Notify the operators. 通知操作人员。"),
        ("p", "2. Stop the machine with its normal controls. 用正常操作停机。"),
        ("p", "3. Isolate every energy source: power, pressure, stored air. 隔离所有能源。"),
        ("p", "4. Apply your personal lock and tag. 挂上个人锁和警示牌。"),
        ("p", "5. Release stored pressure to 0 bar. 释放残余压力至零。"),
        ("p", "6. Try to start the machine to verify isolation. 试启动以确认已隔离。"),
        ("p", "Only the person who applied a lock may remove it. 谁上锁，谁解锁。"),
    ],
]

STYLE = {"title": ("F2", 16, 26), "h": ("F2", 13, 22), "p": ("F1", 11, 17)}


def runs(text):
    """Splits text into (is_ascii, chunk) runs."""
    out = []
    for ch in text:
        a = ord(ch) < 128
        if out and out[-1][0] == a:
            out[-1][1] += ch
        else:
            out.append([a, ch])
    return out


def pdf_literal(s):
    return "(" + s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def utf16_hex(s):
    return "<FEFF" + s.encode("utf-16-be").hex().upper() + ">"


def page_content(lines, used):
    ops = []
    y = TOP_Y
    for style, text in lines:
        latin_font, size, leading = STYLE[style]
        cjk_size = size
        ops.append("BT")
        ops.append(f"1 0 0 1 {MARGIN_X} {y} Tm")
        for is_ascii, chunk in runs(text):
            if is_ascii:
                ops.append(f"/{latin_font} {size} Tf {pdf_literal(chunk)} Tj")
            else:
                codes = []
                for ch in chunk:
                    cp = ord(ch)
                    if cp > 0xFFFF:
                        raise ValueError(f"character outside the BMP: {ch!r}")
                    used.add(cp)
                    codes.append(f"{cp:04X}")
                ops.append(f"/F3 {cjk_size} Tf <{''.join(codes)}> Tj")
        ops.append("ET")
        y -= leading
    return "\n".join(ops).encode("ascii")


def to_unicode_cmap(used):
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Anvil-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    codes = sorted(used)
    for i in range(0, len(codes), 100):  # at most 100 entries per block
        block = codes[i:i + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines.extend(f"<{c:04X}> <{c:04X}>" for c in block)
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def build_pdf():
    used = set()
    contents = [page_content(p, used) for p in PAGES]
    objects = {}  # number -> bytes

    def stream(data):
        return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"

    n_pages = len(PAGES)
    first_page = 8
    page_nums = [first_page + 2 * i for i in range(n_pages)]
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    kids = " ".join(f"{n} 0 R" for n in page_nums)
    objects[2] = f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode()
    objects[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objects[4] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    objects[5] = (b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H "
                  b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>")
    objects[6] = (b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun "
                  b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                  b"/FontDescriptor " + str(first_page + 2 * n_pages).encode() + b" 0 R "
                  b"/DW 1000 /CIDToGIDMap /Identity >>")
    objects[7] = stream(to_unicode_cmap(used))
    resources = "<< /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >>"
    for i, n in enumerate(page_nums):
        objects[n] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
                      f"/Resources {resources} /Contents {n + 1} 0 R >>").encode()
        objects[n + 1] = stream(contents[i])
    descriptor = first_page + 2 * n_pages
    objects[descriptor] = (b"<< /Type /FontDescriptor /FontName /SimSun /Flags 6 "
                           b"/FontBBox [0 -141 1000 859] /ItalicAngle 0 /Ascent 859 /Descent -141 "
                           b"/CapHeight 683 /StemV 80 >>")
    info = descriptor + 1
    objects[info] = ("<< /Title " + utf16_hex("Pump and Compressor Quick Reference / 泵与空压机快速参考") +
                     " /Author (Anvil examples) /Producer (scripts/make_example_pdf.py)"
                     " /CreationDate (D:20240315080000Z) >>").encode("ascii")

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n" % size
    out += b"0000000000 65535 f \n"
    for num in range(1, size):
        out += b"%010d 00000 n \n" % offsets[num]
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, info, xref)
    return bytes(out)


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        repo, "examples", "docs", "pump_compressor_quick_reference.pdf")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as f:
        f.write(build_pdf())
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
