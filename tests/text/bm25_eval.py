#!/usr/bin/python3
"""nDCG@10 of Lucene-style BM25 over analyzed term files, to judge analyzers. Not run by CI.

    ANVIL_TERMS_OUT=/tmp/terms build-text/tests/rag_tests --gtest_also_run_disabled_tests \
        --gtest_filter='AnalyzerEval.DISABLED_DumpTerms'
    /usr/bin/python3 tests/text/bm25_eval.py /tmp/terms [--stop-zh N]

Scoring follows Anserini's BM25 "flat" runs: Lucene 9 BM25Similarity (k1=0.9, b=0.4,
idf = ln(1 + (N - df + 0.5) / (df + 0.5)), no (k1 + 1) factor), document lengths through
Lucene's one-byte norms (SmallFloat.intToByte4), query terms repeated = boosted, top 1000,
nDCG@10 as trec_eval computes it. Equal scores rank in corpus order, as in Lucene (index order)
and in Anvil's Bm25Index (ascending chunk id), so the numbers match `anvil eval retrieval`.
--stop-zh N drops, in the Chinese data sets, the N most frequent terms of the corpus that jieba's
dictionary tags as function words (u*, p, c, y, e, r): the stop list experiment.
"""
import argparse
import collections
import math
import os
import sys

K1, B = 0.9, 0.4


def long_to_int4(i):
    num_bits = i.bit_length()
    if num_bits < 4:
        return i
    shift = num_bits - 4
    encoded = (i >> shift) & 0x07
    return encoded | ((shift + 1) << 3)


def int4_to_long(i):
    bits = i & 0x07
    shift = (i >> 3) - 1
    return bits if shift == -1 else (bits | 0x08) << shift


NUM_FREE_VALUES = 255 - long_to_int4(2**31 - 1)


def int_to_byte4(i):
    return i if i < NUM_FREE_VALUES else NUM_FREE_VALUES + long_to_int4(i - NUM_FREE_VALUES)


def byte4_to_int(b):
    return b if b < NUM_FREE_VALUES else NUM_FREE_VALUES + int4_to_long(b - NUM_FREE_VALUES)


def read_terms(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            doc_id, _, terms = line.rstrip("\n").partition("\t")
            out[doc_id] = terms.split(" ") if terms else []
    return out


def read_qrels(path):
    qrels = collections.defaultdict(dict)
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            q, d, s = line.split("\t")
            qrels[q][d] = int(s)
    return qrels


def ndcg_at_10(ranked, rels):
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted(rels.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def evaluate(corpus, queries, qrels, stop=frozenset()):
    postings = collections.defaultdict(list)
    order = {doc_id: i for i, doc_id in enumerate(corpus)}
    length_norm = {}
    total = 0
    for doc_id, terms in corpus.items():
        terms = [t for t in terms if t not in stop]
        total += len(terms)
        length_norm[doc_id] = byte4_to_int(int_to_byte4(len(terms)))
        for t, tf in collections.Counter(terms).items():
            postings[t].append((doc_id, tf))
    n = len(corpus)
    avgdl = total / n
    scores_sum = 0.0
    evaluated = 0
    for q, rels in qrels.items():
        if q not in queries:
            continue
        scores = collections.defaultdict(float)
        for t, boost in collections.Counter(x for x in queries[q] if x not in stop).items():
            plist = postings.get(t)
            if not plist:
                continue
            idf = math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
            for doc_id, tf in plist:
                norm = K1 * ((1 - B) + B * length_norm[doc_id] / avgdl)
                scores[doc_id] += boost * idf * tf / (tf + norm)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))[:1000]
        scores_sum += ndcg_at_10([d for d, _ in ranked], rels)
        evaluated += 1
    return scores_sum / max(evaluated, 1), evaluated


def chinese_stop_list(corpus, n):
    """The n most frequent terms of the corpus that jieba's dictionary tags as function words."""
    tags = {}
    with open("/usr/lib/python3/dist-packages/jieba/dict.txt", encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    function_tags = {"u", "uj", "ul", "uz", "ud", "ug", "uv", "p", "c", "y", "e", "r"}
    counts = collections.Counter(t for terms in corpus.values() for t in terms)
    candidates = [t for t, _ in counts.most_common() if tags.get(t) in function_tags]
    return frozenset(candidates[:n])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("terms_dir")
    parser.add_argument("--stop-zh", type=int, default=0)
    args = parser.parse_args()
    data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data", "beir")
    runs = sorted({f.rsplit(".", 2)[0] for f in os.listdir(args.terms_dir) if f.endswith(".corpus.tsv")})
    for run in runs:
        dataset, analyzer = run.split(".")
        corpus = read_terms(os.path.join(args.terms_dir, run + ".corpus.tsv"))
        queries = read_terms(os.path.join(args.terms_dir, run + ".queries.tsv"))
        qrels = read_qrels(os.path.join(data, dataset, "qrels", "test.tsv"))
        stop = chinese_stop_list(corpus, args.stop_zh) if args.stop_zh and "zh" in dataset else frozenset()
        score, n = evaluate(corpus, queries, qrels, stop)
        extra = f"  (stop list of {len(stop)})" if stop else ""
        print(f"{dataset:12s} {analyzer:5s} nDCG@10 {score:.6f} over {n} queries{extra}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
