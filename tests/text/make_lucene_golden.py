#!/usr/bin/python3
"""Generates tests/text/data/lucene_english_golden.jsonl: what Anserini's DefaultEnglishAnalyzer
(Lucene StandardTokenizer, EnglishPossessiveFilter, LowerCaseFilter, StopFilter with
EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, PorterStemFilter) makes of hand-written cases and of
BEIR SciFact / XQuAD-en documents. The oracle for tests/rag/analyzer_lucene_test.cpp.
Not run by CI. Needs Java and Debian's liblucene8-java (Lucene 8.7, same tokenizer grammar and
filters as Lucene 9):

    /usr/bin/python3 tests/text/make_lucene_golden.py [--all DIR]

Each line: {"text": ..., "tokens": [...before PorterStemFilter...], "terms": [...after...]}.
--all DIR writes every SciFact and XQuAD-en document and query to DIR/<name>.jsonl instead
(run the test with ANVIL_LUCENE_GOLDEN=DIR/<name>.jsonl for the full comparison), and Lucene's
terms as DIR/<dataset>.lucene.{corpus,queries}.tsv for tests/text/bm25_eval.py DIR.
"""
import argparse
import base64
import json
import os
import random
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "shared", "data", "beir")
JARS = ["/usr/share/java/lucene-core-8.7.0.jar", "/usr/share/java/lucene-analyzers-common-8.7.0.jar"]

JAVA = r"""
import java.io.*;
import java.nio.charset.StandardCharsets;
import org.apache.lucene.analysis.*;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.en.*;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

// Reads one base64-encoded UTF-8 text per line, writes "tokens\tterms" per line, terms
// separated by U+0001.
public class LuceneGolden {
  static Analyzer analyzer(boolean stem) {
    return new Analyzer() {
      protected TokenStreamComponents createComponents(String f) {
        Tokenizer src = new StandardTokenizer();
        TokenStream r = new EnglishPossessiveFilter(src);
        r = new LowerCaseFilter(r);
        r = new StopFilter(r, EnglishAnalyzer.ENGLISH_STOP_WORDS_SET);
        if (stem) r = new PorterStemFilter(r);
        return new TokenStreamComponents(src, r);
      }
    };
  }
  static String run(Analyzer a, String text) throws IOException {
    StringBuilder sb = new StringBuilder();
    try (TokenStream ts = a.tokenStream("contents", text)) {
      CharTermAttribute t = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      boolean first = true;
      while (ts.incrementToken()) {
        if (!first) sb.append('\u0001');
        sb.append(t.toString());
        first = false;
      }
      ts.end();
    }
    return sb.toString();
  }
  public static void main(String[] args) throws Exception {
    Analyzer tokens = analyzer(false), terms = analyzer(true);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null;) {
      String text = new String(java.util.Base64.getDecoder().decode(line), StandardCharsets.UTF_8);
      out.println(run(tokens, text) + "\t" + run(terms, text));
    }
    out.flush();
  }
}
"""

HAND_WRITTEN = [
    "",
    "The quick brown foxes jumped over the lazy dogs.",
    "John's dogs' O'Reilly's don't DOGS'S",
    "Don\u2019t O\u2019Neil\u2019s rock\uff07s",
    "pi is 3.14, not 1,000 or 1,000.50; 1;2 and 1.2.3.",
    "U.S.A. a.b. e-mail wi-fi state-of-the-art",
    "john.doe@example.com visited http://www.apache.org/foo?x=1 and ftp://a.b/c",
    "BACKGROUND:Results were significant. a:b 1:2 a:1",
    "B2B 2B a1.5 1a.b __init__ _ ___ a_b 1_2",
    "C++ C# AT&T 50% $100 #hashtag @mention",
    "naïve café Straße résumé's Ünïcödé Ørsted",
    "ＬＵＣＥＮＥ Ｓｅａｒｃｈ ２０２４",
    "signiﬁcant 5µm 5μm 10² CO₂ ½ Ⅻ",
    "us as is gas running runs ran generalizations relational possibly biology immunology",
    "I \u2764\ufe0f NY \U0001F1FA\U0001F1F8 \U0001F44D\U0001F3FD \u00a9 2012 Elsevier\u00ae Lipitor\u2122",
    "中文abc ひらがな カタカナ 한국어 ภาษาไทย",
    "soft\u00adhyphen zero\u200bwidth left\u200eright",
    "tab\tseparated\nnew line\r\ncarriage",
    "\"quoted\" (paren) [bracket] {brace} <angle> 'single'",
    "IL-6 TNF-α β-cells Ca2+ p<0.05 n=1,234 HbA1c 25(OH)D",
    "x" * 300,
]


def clip(text, limit=800):
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit]


def records(path, with_title):
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            text = d["text"]
            if with_title and d.get("title"):
                text = d["title"] + " " + text
            yield d["_id"], text


def sample():
    random.seed(7)
    scifact = list(records(os.path.join(DATA, "scifact", "corpus.jsonl"), True))
    rich = sorted(scifact, key=lambda r: -len({c for c in r[1] if ord(c) > 127 or c in ":;'_@&#%"}))[:40]
    plain = random.sample(scifact, 40)
    xquad = random.sample(list(records(os.path.join(DATA, "xquad-en", "corpus.jsonl"), True)), 10)
    queries = random.sample(list(records(os.path.join(DATA, "scifact", "queries.jsonl"), False)), 30)
    return HAND_WRITTEN + [clip(t) for _, t in rich + plain + xquad] + [t for _, t in queries]


def lucene(texts, workdir):
    with open(os.path.join(workdir, "LuceneGolden.java"), "w", encoding="utf-8") as f:
        f.write(JAVA)
    cp = ":".join(JARS)
    subprocess.run(["javac", "-cp", cp, "-d", workdir, os.path.join(workdir, "LuceneGolden.java")], check=True)
    encoded = "".join(base64.b64encode(t.encode("utf-8")).decode("ascii") + "\n" for t in texts)
    out = subprocess.run(["java", "-cp", cp + ":" + workdir, "LuceneGolden"], input=encoded.encode("utf-8"),
                         stdout=subprocess.PIPE, check=True).stdout.decode("utf-8")
    rows = out.split("\n")[: len(texts)]
    split = lambda s: s.split("\u0001") if s else []
    return [(split(r.split("\t")[0]), split(r.split("\t")[1])) for r in rows]


def write(path, texts, workdir, ids=None, tsv_path=None):
    results = lucene(texts, workdir)
    with open(path, "w", encoding="utf-8") as f:
        for text, (tokens, terms) in zip(texts, results):
            f.write(json.dumps({"text": text, "tokens": tokens, "terms": terms}, ensure_ascii=False) + "\n")
    print(f"{path}: {len(texts)} texts")
    if tsv_path:
        with open(tsv_path, "w", encoding="utf-8") as f:
            for doc_id, (_, terms) in zip(ids, results):
                f.write(doc_id + "\t" + " ".join(terms) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--all", metavar="DIR")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        if args.all:
            os.makedirs(args.all, exist_ok=True)
            for dataset in ("scifact", "xquad-en"):
                for part, with_title in (("corpus", True), ("queries", False)):
                    rows = list(records(os.path.join(DATA, dataset, part + ".jsonl"), with_title))
                    write(os.path.join(args.all, f"{dataset}-{part}.jsonl"), [t for _, t in rows], workdir,
                          ids=[i for i, _ in rows], tsv_path=os.path.join(args.all, f"{dataset}.lucene.{part}.tsv"))
        else:
            write(os.path.join(HERE, "data", "lucene_english_golden.jsonl"), sample(), workdir)


if __name__ == "__main__":
    main()
