#!/usr/bin/python3
"""Generates tests/text/data/jieba_golden.jsonl: python3-jieba's own output, the oracle that
anvil::text::Jieba must match exactly. Not run by CI; rerun after changing the sample.

    /usr/bin/python3 tests/text/make_jieba_golden.py [--all] [--out PATH]

Each line: {"text": ..., "cut": jieba.lcut(text, HMM=True), "search": jieba.lcut_for_search(text)}.
--all writes every paragraph and query of the Chinese data sets instead of the sample (a slower,
larger check: run the test with ANVIL_JIEBA_GOLDEN=PATH).
"""
import argparse
import json
import logging
import os
import re

import jieba

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(REPO, "..", "shared", "data", "beir")

# Hand-written cases: mixed scripts, numbers, full-width forms, whitespace, edge code points.
HAND_WRITTEN = [
    "",
    "   ",
    "a",
    "的",
    "我来到北京清华大学",
    "他来到了网易杭研大厦",
    "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    "李小福是创新办主任也是云计算方面的专家",
    "结婚的和尚未结婚的",
    "南京市长江大桥",
    "工信处女干事每月经过下属科室都要亲口交代24口交换机等技术性器件的安装工作",
    "永和服装饰品有限公司",
    "中华人民共和国成立于1949年10月1日",
    "我用C++和Python3.10写了一个RAG系统，准确率提升了40%。",
    "iPhone 15 Pro的价格是7999元，比去年贵了10.5%",
    "AT&T和T-Mobile是美国的电信运营商",
    "２０２３年１２月３１日，ＡＩ技术突飞猛进！",
    "１２３ＡＢＣ",
    "他说：“今天天气真好。”然后就走了……",
    "Hello, world! 你好，世界！\r\n第二行\t制表符\u3000全角空格",
    "\n\n换行\r\n回车换行\r单独回车\n\r反过来",
    "emoji 😀 测试👍🏽",
    "𠀀𠀁是扩展B区汉字，㐀㐁是扩展A区",
    "鿕在范围内，鿖在范围外",
    "日本語のテキストとカタカナ",
    "한국어 텍스트와 中文混合",
    "e-mail: test@example.com, 网址 https://www.example.com/path?q=1",
    "温度-5.5℃到+3℃之间",
    "价格：$1,000.00 或 ￥6,888",
    "鲁迅先生的阿Q正传",
    "3.14159和2.71828是常数",
    "1.2.3版本和v2.0.1版本",
    "50%的人认为A.B.C很重要",
    "_下划线_和-连字符-测试",
    "#话题#和@用户&朋友",
    "這是繁體中文的句子，臺灣和香港使用。",
    "ABC大写和abc小写 English words mixed with 中文",
    "检索增强生成（RAG）结合外部知识库与大语言模型，解决模型幻觉、知识过时等问题",
    "基于LangChain、LlamaIndex等框架，将文档加载、分块、向量检索、重排序等模块解耦",
    "某金融企业通过自定义重排序模型，将合同条款检索的准确率提升40%",
    "在制造业中，RAG系统结合设备监控视频、传感器数据与文本手册，生成图文并茂的维护指南",
    "电商智能客服从商品描述、用户评价中动态检索信息，回答“某款手机续航如何”等具体问题",
    "张三丰和张无忌是武当派的人物，周芷若是峨眉派",
    "齐齐哈尔市和乌鲁木齐市都在中国北方",
    "我们中出了一个叛徒",
    "研究生命的起源",
    "他的确实在这里",
    "乒乓球拍卖完了",
    "欢迎新老师生前来就餐",
    "老王和小李去打篮球，打了三个小时。",
    "GPT-4o和Claude 3.5 Sonnet都是大语言模型，参数量超过1000亿",
    "第1章 第2节 共3页",
    "0.5mg/kg的剂量，每日2次，持续7天",
    "ｈｅｌｌｏ　ｗｏｒｌｄ（全角英文）",
    "〇一二三，々，〆",
    "\ufeff带BOM的开头",
    "tab\tseparated\tvalues和中文",
    "连续的标点！！！？？？。。。",
    "很长的未登录词序列：鳖鼋鼍鲲鹏鸾凤麒麟貔貅饕餮",
]


def sentences(path, field_names, limit, stride):
    """Every `stride`-th sentence (split after 。！？) of the records in a jsonl file."""
    out = []
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            for field in field_names:
                text = record.get(field) or ""
                for sent in re.findall(r"[^。！？]*[。！？]?", text):
                    sent = sent.strip()
                    if not sent:
                        continue
                    if n % stride == 0:
                        out.append(sent)
                        if len(out) >= limit:
                            return out
                    n += 1
    return out


def whole_records(path, field_names, limit):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            out.append(" ".join(record.get(k) or "" for k in field_names))
            if len(out) >= limit:
                break
    return out


def all_records(path, field_names):
    return whole_records(path, field_names, 10**9)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--out", default=os.path.join(HERE, "data", "jieba_golden.jsonl"))
    args = parser.parse_args()
    jieba.setLogLevel(logging.WARNING)

    cmrc = os.path.join(DATA, "cmrc2018-zh")
    xquad = os.path.join(DATA, "xquad-zh")
    if args.all:
        texts = (all_records(os.path.join(cmrc, "corpus.jsonl"), ["title", "text"]) +
                 all_records(os.path.join(cmrc, "queries.jsonl"), ["text"]) +
                 all_records(os.path.join(xquad, "corpus.jsonl"), ["title", "text"]) +
                 all_records(os.path.join(xquad, "queries.jsonl"), ["text"]) + HAND_WRITTEN)
    else:
        texts = (sentences(os.path.join(cmrc, "corpus.jsonl"), ["text"], 130, 97) +
                 sentences(os.path.join(xquad, "corpus.jsonl"), ["text"], 100, 13) +
                 sentences(os.path.join(cmrc, "queries.jsonl"), ["text"], 25, 211) +
                 sentences(os.path.join(xquad, "queries.jsonl"), ["text"], 25, 47) +
                 whole_records(os.path.join(cmrc, "corpus.jsonl"), ["title", "text"], 3) +
                 HAND_WRITTEN)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for text in texts:
            record = {"text": text, "cut": jieba.lcut(text, HMM=True), "search": jieba.lcut_for_search(text)}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{args.out}: {len(texts)} texts")


if __name__ == "__main__":
    main()
