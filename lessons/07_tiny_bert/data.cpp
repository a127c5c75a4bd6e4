#include "lessons/07_tiny_bert/data.hpp"

#include "nn/data/batch.hpp"
#include "tensor/tensor.hpp"

namespace qkv::lesson07 {

TokenizedCorpus tokenize_documents(std::vector<Document> docs, const nn::BertTokenizer& tokenizer) {
    TokenizedCorpus c;
    c.docs = std::move(docs);
    for (const Document& d : c.docs) {
        std::vector<Ids> ids;
        for (const Sentence& s : d.sentences) ids.push_back(tokenizer.encode(s.text));
        c.sentences.push_back(std::move(ids));
    }
    return c;
}

LessonData make_lesson_data(std::uint64_t seed, std::int64_t train_docs, std::int64_t heldout_docs,
                            std::int64_t vocab_size) {
    // Two generators from one seed: the held-out documents do not shift when the training set grows.
    Generator train_gen(seed * 2 + 1), heldout_gen(seed * 2 + 2);
    std::vector<Document> train = make_documents(train_docs, train_gen);
    std::vector<Document> heldout = make_documents(heldout_docs, heldout_gen);
    std::vector<std::string> texts;
    for (const Document& d : train)
        for (const Sentence& s : d.sentences) texts.push_back(s.text);
    nn::BertTokenizer tokenizer(nn::build_wordpiece_vocab(texts, vocab_size));
    TokenizedCorpus train_c = tokenize_documents(std::move(train), tokenizer);
    TokenizedCorpus heldout_c = tokenize_documents(std::move(heldout), tokenizer);
    return LessonData{std::move(tokenizer), std::move(train_c), std::move(heldout_c)};
}

SentencePair sample_pair(const TokenizedCorpus& corpus, Generator& gen) {
    const std::uint64_t n_docs = corpus.sentences.size();
    if (n_docs < 2) fail("sample_pair", "need at least 2 documents, got ", n_docs);
    const std::size_t d = gen.below(n_docs);
    const std::vector<Ids>& doc = corpus.sentences[d];
    const std::size_t i = gen.below(doc.size() - 1);
    SentencePair p;
    p.a = doc[i];
    p.doc_a = d, p.sentence_a = i;
    if (gen.uniform() < 0.5) {
        p.doc_b = d, p.sentence_b = i + 1;
        p.is_random_next = 0;
    } else {
        p.doc_b = gen.below(n_docs - 1);
        if (p.doc_b >= d) ++p.doc_b;  // any document but d
        p.sentence_b = gen.below(corpus.sentences[p.doc_b].size());
        p.is_random_next = 1;
    }
    p.b = corpus.sentences[p.doc_b][p.sentence_b];
    return p;
}

Batch make_pair_batch(const std::vector<SentencePair>& pairs, const nn::Vocab& vocab) {
    const std::int64_t cls = vocab.cls_id(), sep = vocab.sep_id();
    std::vector<Ids> seqs, segments;
    std::vector<std::int64_t> labels;
    for (const SentencePair& p : pairs) {
        Ids ids{cls}, seg{0};
        for (std::int64_t id : p.a) ids.push_back(id), seg.push_back(0);
        ids.push_back(sep), seg.push_back(0);
        for (std::int64_t id : p.b) ids.push_back(id), seg.push_back(1);
        ids.push_back(sep), seg.push_back(1);
        seqs.push_back(std::move(ids));
        segments.push_back(std::move(seg));
        labels.push_back(p.is_random_next);
    }
    const nn::PaddedBatch ids = nn::pad_batch(seqs, vocab.pad_id());
    const nn::PaddedBatch types = nn::pad_batch(segments, 0);  // padding's segment does not matter: it is never attended
    return Batch{ids.ids, types.ids, ids.padding_mask, from_vector(labels)};
}

Batch make_single_batch(const std::vector<Ids>& sentences, const nn::Vocab& vocab) {
    std::vector<Ids> seqs;
    for (const Ids& s : sentences) {
        Ids ids{vocab.cls_id()};
        ids.insert(ids.end(), s.begin(), s.end());
        ids.push_back(vocab.sep_id());
        seqs.push_back(std::move(ids));
    }
    const nn::PaddedBatch ids = nn::pad_batch(seqs, vocab.pad_id());
    return Batch{ids.ids, zeros(ids.ids.shape(), DType::Int64), ids.padding_mask, Tensor()};
}

}  // namespace qkv::lesson07
