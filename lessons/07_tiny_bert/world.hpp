// The little world the lesson's corpus describes: ten animals, and four facts about each
// (where it lives, what it eats, the sound it makes, the animal it fears). A sentence states
// one fact about one animal, in one of three wordings:
//
//   home   the cat lives in the house | the house is where the cat lives | the cat sleeps in the house
//   food   the cat eats fish | fish is what the cat eats | the cat likes fish
//   sound  the cat meows when it is hungry | the cat meows at night | you can hear the cat meow
//   fear   the cat is afraid of the dog | the cat runs from the dog | the cat hides when it sees the dog
//
// or the same in the plural (cats live in the house, they are hungry, ...). Because the facts
// tie words together, a hidden word can be worked out from the others: "[MASK] is what the cat
// eats" can only be fish, "the [MASK] lives in the stable" only horse, "cats [MASK] when they
// are hungry" only meow. That is what masked language modelling learns, and what a model with
// facts in its weights can bring to a task.
//
// A document (文档) is one animal, in the singular or the plural throughout, stating each of its
// four facts once, in a random order and wording: a sentence and the one after it belong to the
// same document, which next-sentence prediction learns to tell from a random sentence.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/random.hpp"

namespace qkv::lesson07 {

enum class Fact { Home, Food, Sound, Fear };
inline constexpr int num_facts = 4;
inline constexpr int num_wordings = 3;

struct Animal {
    std::string singular, plural;    // cat, cats
    std::string sound_s, sound_p;    // meows (the cat meows), meow (cats meow, hear the cat meow)
    std::string food, home;          // fish, house
    int fears;                       // index of the animal it fears
};

// The ten animals, in a fixed order.
const std::vector<Animal>& animals();

// One sentence: which animal, which fact, which wording, the number, and the value stated for
// the fact (the animal's own, or another animal's for a false sentence; see make_sentence).
struct Sentence {
    int animal = 0;
    Fact fact = Fact::Home;
    int wording = 0;
    bool plural = false;
    int value_of = -1;  // whose fact value is stated: -1 (or == animal) means the true one
    std::string text;
};

// The sentence's words. value_of < 0 states the true fact.
Sentence make_sentence(int animal, Fact fact, int wording, bool plural, int value_of = -1);

struct Document {
    int animal = 0;
    bool plural = false;
    std::vector<Sentence> sentences;  // the four facts in a random order
};

// `count` documents drawn from `gen`: animal, number, fact order and wordings uniform.
std::vector<Document> make_documents(std::int64_t count, Generator& gen);

// A false sentence: the fact's value taken from a different animal whose value differs
// ("the cat eats hay"), everything else drawn as for a true one.
Sentence make_false_sentence(Generator& gen);
// A true sentence drawn uniformly.
Sentence make_true_sentence(Generator& gen);

}  // namespace qkv::lesson07
