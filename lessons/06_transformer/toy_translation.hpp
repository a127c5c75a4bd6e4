// A toy translation task between two generated languages whose word order differs, so that
// the decoder's cross-attention (交叉注意力) has to jump around the source.
//
//   source (subject-verb-object, adjective before noun, like English):
//     sentence = NP verb NP          NP = [adjective] noun
//     "big cat chases small dog"
//   target (subject-object-verb, adjective after noun, case particles, like Japanese with a twist):
//     sentence = NP' ga NP' wo verb'  NP' = noun' [adjective']
//     "neko oki ga inu chisa wo oka"   (the words are made up from the seed)
//
// Every source word has one target word (a vocabulary mapping); the order is what must be
// learned: the verb moves to the end, each adjective moves behind its noun, and particles
// appear that no source word maps to. 8 nouns, 6 verbs, 5 adjectives: 48 x 6 x 48 = 13,824
// sentences.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lessons/06_transformer/tasks.hpp"

namespace qkv::lesson06 {

struct ToyLanguages {
    std::vector<std::string> src_words, tgt_words;  // id -> word, specials first
    std::vector<std::int64_t> nouns, verbs, adjectives;  // source ids of each kind
    std::vector<std::int64_t> to_target;            // source id -> target id (words only)
    std::int64_t subject_particle = 0, object_particle = 0;  // target ids of "ga" and "wo"
};

// The two vocabularies; the target words are random consonant-vowel pairs drawn from `seed`.
ToyLanguages make_toy_languages(std::uint64_t seed);

// A random source sentence and its translation.
Example sample_sentence(const ToyLanguages& langs, Generator& gen);

// The translation of a source sentence (the grammar above, applied by rule).
std::vector<std::int64_t> translate(const ToyLanguages& langs, const std::vector<std::int64_t>& src);

}  // namespace qkv::lesson06
