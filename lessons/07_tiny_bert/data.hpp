// From documents to BERT's inputs: a WordPiece vocabulary built from the corpus, tokenized
// sentences, sentence pairs for next-sentence prediction, and padded batches.
//
// A pre-training input is a pair of sentences,
//
//   [CLS] the cat eats fish [SEP] cats ... [SEP]        token ids
//     0    0   0   0    0    0    1   ...   1           token_type_ids (segment A = 0, B = 1)
//
// where B is the sentence that followed A in its document half of the time (IsNext, label 0)
// and a sentence from another document otherwise (NotNext, label 1), as in BERT's data code.
//
// Shapes: B = batch, T = the longest input of the batch (shorter ones are padded with [PAD]).
#pragma once

#include <cstdint>
#include <vector>

#include "lessons/07_tiny_bert/world.hpp"
#include "nn/text/wordpiece.hpp"

namespace qkv::lesson07 {

using Ids = std::vector<std::int64_t>;

// Each document's sentences as token ids (no [CLS] or [SEP]).
struct TokenizedCorpus {
    std::vector<Document> docs;
    std::vector<std::vector<Ids>> sentences;  // [document][sentence] -> ids
};

struct LessonData {
    nn::BertTokenizer tokenizer;
    TokenizedCorpus train, heldout;  // generated apart, from different streams of the seed
};

// `train_docs` and `heldout_docs` documents from `seed`, and a WordPiece vocabulary of at most
// `vocab_size` tokens built from the training documents only.
LessonData make_lesson_data(std::uint64_t seed, std::int64_t train_docs, std::int64_t heldout_docs,
                            std::int64_t vocab_size);

TokenizedCorpus tokenize_documents(std::vector<Document> docs, const nn::BertTokenizer& tokenizer);

struct SentencePair {
    Ids a, b;
    std::int64_t is_random_next = 0;  // 0: b followed a in its document; 1: b is from another document
    std::size_t doc_a = 0, sentence_a = 0, doc_b = 0, sentence_b = 0;  // where a and b came from
};

// One pair: a random sentence a that has a successor, then its successor or (with probability
// 1/2) a random sentence of a different random document.
SentencePair sample_pair(const TokenizedCorpus& corpus, Generator& gen);

struct Batch {
    Tensor input_ids;       // (B, T) int64
    Tensor token_type_ids;  // (B, T) int64
    Tensor padding_mask;    // (B, T) bool, true at [PAD]
    Tensor is_random_next;  // (B) int64 (pairs only)
};

// [CLS] a [SEP] b [SEP] for each pair, padded to the longest.
Batch make_pair_batch(const std::vector<SentencePair>& pairs, const nn::Vocab& vocab);
// [CLS] s [SEP] for each sentence, padded to the longest (all segment 0).
Batch make_single_batch(const std::vector<Ids>& sentences, const nn::Vocab& vocab);

}  // namespace qkv::lesson07
