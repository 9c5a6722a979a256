"""datatrove's MinHash dedup over the Sluice evaluation set, for `npm run bench -- dedup`.

usage: python3 dedup_datatrove.py <docs.jsonl> <work-dir>
Reads {"id", "text", "lang"} lines, runs MinhashDedupSignature/Buckets/Cluster/Filter per language
(datatrove's word tokenizer for that language, its default 5-grams and 14 x 8 buckets, sha1) and prints
one JSON object: id -> cluster id (absent for documents datatrove put in no cluster, its -1).
"""
import json
import sys

from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
# the minhash module directly: datatrove.pipeline.dedup's __init__ also imports steps that need `tokenizers`
from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
from datatrove.utils.hashing import HashConfig
from datatrove.utils.typeshelper import Languages


def run(docs, lang, work):
    # sha1 shingle hashes: datatrove 0.10.1's xxhash path passes str, which xxhash 3.6 rejects
    config = MinhashConfig(hash_config=HashConfig(hash_fc="sha1", precision=64))
    collected = {}

    def source(data=None, rank=0, world_size=1):
        yield from (Document(text=d["text"], id=d["id"]) for d in docs)

    def sink(data, rank=0, world_size=1):
        for doc in data:
            cluster = doc.metadata.get("minhash_cluster_id")
            if cluster is not None and cluster != -1:
                collected[doc.id] = f"{lang}-{cluster}"
            yield doc

    def step(steps, tasks=1):
        LocalPipelineExecutor(pipeline=steps, tasks=tasks, logging_dir=f"{work}/{lang}/logs-{len(steps)}-{steps[-1].__class__.__name__}").run()

    step([source, MinhashDedupSignature(output_folder=f"{work}/{lang}/sigs", config=config, language=lang)])
    step([MinhashDedupBuckets(input_folder=f"{work}/{lang}/sigs", output_folder=f"{work}/{lang}/buckets", config=config)], tasks=config.num_buckets)
    step([MinhashDedupCluster(input_folder=f"{work}/{lang}/buckets", output_folder=f"{work}/{lang}/remove", config=config, save_cluster_id=True)])
    # the filter drops all but one document per cluster: the exclusion writer is replaced by reading
    # cluster ids off the kept documents and off the removed ones through a second sink
    removed = []

    class Excluded:
        def write(self, doc, rank=0, **kw):
            removed.append(doc)
        def __enter__(self):
            return self
        def __exit__(self, *a):
            pass
        def close(self):
            pass

    step([source, MinhashDedupFilter(input_folder=f"{work}/{lang}/remove", exclusion_writer=Excluded(), load_cluster_ids=True), sink])
    for doc in removed:
        cluster = doc.metadata.get("minhash_cluster_id")
        if cluster is not None and cluster != -1:  # -1: in no cluster
            collected[doc.id] = f"{lang}-{cluster}"
    return collected


def main():
    path, work = sys.argv[1], sys.argv[2]
    docs = [json.loads(line) for line in open(path, encoding="utf-8")]
    out = {}
    for lang, name in (("en", Languages.english), ("zh", Languages.chinese)):
        out.update(run([d for d in docs if d["lang"] == lang], name, work))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
