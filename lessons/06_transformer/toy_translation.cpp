#include "lessons/06_transformer/toy_translation.hpp"

#include <set>

namespace qkv::lesson06 {

namespace {

const std::vector<std::string> kNouns = {"cat", "dog", "bird", "fish", "child", "farmer", "teacher", "horse"};
const std::vector<std::string> kVerbs = {"sees", "chases", "likes", "eats", "helps", "finds"};
const std::vector<std::string> kAdjectives = {"big", "small", "red", "old", "happy"};

std::int64_t pick(const std::vector<std::int64_t>& ids, Generator& gen) {
    return ids[static_cast<std::size_t>(gen.below(ids.size()))];
}

bool contains(const std::vector<std::int64_t>& ids, std::int64_t id) {
    for (std::int64_t x : ids)
        if (x == id) return true;
    return false;
}

}  // namespace

ToyLanguages make_toy_languages(std::uint64_t seed) {
    ToyLanguages l;
    l.src_words = {"[PAD]", "[BOS]", "[EOS]"};
    l.tgt_words = l.src_words;
    // Made-up target words: two consonant-vowel syllables each, all distinct.
    Generator gen(seed);
    const std::string consonants = "kstnhmrgbdpz", vowels = "aeiou";
    std::set<std::string> used = {"ga", "wo"};
    const auto new_word = [&] {
        for (;;) {
            std::string w;
            for (int s = 0; s < 2; ++s) {
                w += consonants[gen.below(consonants.size())];
                w += vowels[gen.below(vowels.size())];
            }
            if (used.insert(w).second) return w;
        }
    };
    const auto add = [&](const std::vector<std::string>& words, std::vector<std::int64_t>& ids) {
        for (const std::string& w : words) {
            ids.push_back(static_cast<std::int64_t>(l.src_words.size()));
            l.src_words.push_back(w);
            l.to_target.push_back(static_cast<std::int64_t>(l.tgt_words.size()));
            l.tgt_words.push_back(new_word());
        }
    };
    l.to_target.assign(kFirstWord, -1);  // the specials have no translation
    add(kNouns, l.nouns);
    add(kVerbs, l.verbs);
    add(kAdjectives, l.adjectives);
    l.subject_particle = static_cast<std::int64_t>(l.tgt_words.size());
    l.tgt_words.push_back("ga");
    l.object_particle = static_cast<std::int64_t>(l.tgt_words.size());
    l.tgt_words.push_back("wo");
    return l;
}

Example sample_sentence(const ToyLanguages& l, Generator& gen) {
    Example e;
    const auto noun_phrase = [&] {
        if (gen.below(2) == 1) e.src.push_back(pick(l.adjectives, gen));
        e.src.push_back(pick(l.nouns, gen));
    };
    noun_phrase();
    e.src.push_back(pick(l.verbs, gen));
    noun_phrase();
    e.tgt = translate(l, e.src);
    return e;
}

std::vector<std::int64_t> translate(const ToyLanguages& l, const std::vector<std::int64_t>& src) {
    // Parse NP verb NP, where NP = [adjective] noun.
    std::size_t i = 0;
    const auto noun_phrase = [&] {
        std::vector<std::int64_t> np;  // target order: noun, then adjective
        if (i < src.size() && contains(l.adjectives, src[i])) {
            if (i + 1 >= src.size() || !contains(l.nouns, src[i + 1]))
                fail("translate", "an adjective must be followed by a noun, at word ", i);
            np = {l.to_target[static_cast<std::size_t>(src[i + 1])], l.to_target[static_cast<std::size_t>(src[i])]};
            i += 2;
        } else if (i < src.size() && contains(l.nouns, src[i])) {
            np = {l.to_target[static_cast<std::size_t>(src[i])]};
            i += 1;
        } else {
            fail("translate", "expected a noun phrase at word ", i);
        }
        return np;
    };
    const std::vector<std::int64_t> subject = noun_phrase();
    if (i >= src.size() || !contains(l.verbs, src[i])) fail("translate", "expected a verb at word ", i);
    const std::int64_t verb = l.to_target[static_cast<std::size_t>(src[i++])];
    const std::vector<std::int64_t> object = noun_phrase();
    if (i != src.size()) fail("translate", "extra words after the object, from word ", i);

    std::vector<std::int64_t> tgt = subject;
    tgt.push_back(l.subject_particle);
    tgt.insert(tgt.end(), object.begin(), object.end());
    tgt.push_back(l.object_particle);
    tgt.push_back(verb);
    return tgt;
}

}  // namespace qkv::lesson06
