#include "lessons/07_tiny_bert/world.hpp"

#include "tensor/error.hpp"

namespace qkv::lesson07 {

const std::vector<Animal>& animals() {
    // Each animal fears exactly one other and is feared by exactly one (a cycle through all ten),
    // so "the [MASK] is afraid of the dog" has one answer too.
    static const std::vector<Animal> list = {
        {"cat", "cats", "meows", "meow", "fish", "house", 1},
        {"dog", "dogs", "barks", "bark", "bones", "yard", 7},
        {"cow", "cows", "moos", "moo", "grass", "field", 0},
        {"horse", "horses", "neighs", "neigh", "hay", "stable", 4},
        {"owl", "owls", "hoots", "hoot", "mice", "tree", 2},
        {"frog", "frogs", "croaks", "croak", "flies", "pond", 6},
        {"duck", "ducks", "quacks", "quack", "bread", "lake", 9},
        {"lion", "lions", "roars", "roar", "meat", "den", 8},
        {"bee", "bees", "buzzes", "buzz", "nectar", "hive", 5},
        {"fox", "foxes", "yelps", "yelp", "eggs", "burrow", 3},
    };
    return list;
}

Sentence make_sentence(int animal, Fact fact, int wording, bool plural, int value_of) {
    const auto& all = animals();
    if (animal < 0 || animal >= static_cast<int>(all.size()) || wording < 0 || wording >= num_wordings)
        fail("make_sentence", "animal ", animal, " or wording ", wording, " out of range");
    const Animal& a = all[static_cast<std::size_t>(animal)];
    const Animal& v = all[static_cast<std::size_t>(value_of < 0 ? animal : value_of)];
    // The subject and the words that agree with it.
    const std::string subj = plural ? a.plural : "the " + a.singular;
    const std::string pron = plural ? "they" : "it";
    const std::string be = plural ? "are" : "is";
    auto verb = [&](const std::string& s, const std::string& p) { return plural ? p : s; };
    std::string text;
    switch (fact) {
        case Fact::Home:
            text = wording == 0 ? subj + " " + verb("lives", "live") + " in the " + v.home
                 : wording == 1 ? "the " + v.home + " is where " + subj + " " + verb("lives", "live")
                                : subj + " " + verb("sleeps", "sleep") + " in the " + v.home;
            break;
        case Fact::Food:
            text = wording == 0 ? subj + " " + verb("eats", "eat") + " " + v.food
                 : wording == 1 ? v.food + " is what " + subj + " " + verb("eats", "eat")
                                : subj + " " + verb("likes", "like") + " " + v.food;
            break;
        case Fact::Sound:
            text = wording == 0 ? subj + " " + verb(v.sound_s, v.sound_p) + " when " + pron + " " + be + " hungry"
                 : wording == 1 ? subj + " " + verb(v.sound_s, v.sound_p) + " at night"
                                : "you can hear " + subj + " " + v.sound_p;
            break;
        case Fact::Fear: {
            const std::string enemy = "the " + all[static_cast<std::size_t>(v.fears)].singular;
            text = wording == 0 ? subj + " " + be + " afraid of " + enemy
                 : wording == 1 ? subj + " " + verb("runs", "run") + " from " + enemy
                                : subj + " " + verb("hides", "hide") + " when " + pron + " " + verb("sees", "see") + " " + enemy;
            break;
        }
    }
    return Sentence{animal, fact, wording, plural, value_of < 0 ? animal : value_of, text};
}

namespace {

int draw(Generator& gen, int n) { return static_cast<int>(gen.below(static_cast<std::uint64_t>(n))); }

// The value of `fact` for animal i, as a string, to tell whether two animals share it.
std::string fact_value(int i, Fact fact) {
    const Animal& a = animals()[static_cast<std::size_t>(i)];
    switch (fact) {
        case Fact::Home: return a.home;
        case Fact::Food: return a.food;
        case Fact::Sound: return a.sound_p;
        case Fact::Fear: return std::to_string(a.fears);
    }
    return "";
}

}  // namespace

std::vector<Document> make_documents(std::int64_t count, Generator& gen) {
    const int n_animals = static_cast<int>(animals().size());
    std::vector<Document> docs;
    docs.reserve(static_cast<std::size_t>(count));
    for (std::int64_t d = 0; d < count; ++d) {
        Document doc;
        doc.animal = draw(gen, n_animals);
        doc.plural = draw(gen, 2) == 1;
        int order[num_facts] = {0, 1, 2, 3};
        for (int i = num_facts - 1; i > 0; --i) std::swap(order[i], order[draw(gen, i + 1)]);  // Fisher-Yates
        for (int f : order)
            doc.sentences.push_back(make_sentence(doc.animal, static_cast<Fact>(f), draw(gen, num_wordings), doc.plural));
        docs.push_back(std::move(doc));
    }
    return docs;
}

Sentence make_true_sentence(Generator& gen) {
    const int animal = draw(gen, static_cast<int>(animals().size()));
    const auto fact = static_cast<Fact>(draw(gen, num_facts));
    const int wording = draw(gen, num_wordings);
    const bool plural = draw(gen, 2) == 1;
    return make_sentence(animal, fact, wording, plural);
}

Sentence make_false_sentence(Generator& gen) {
    const int n = static_cast<int>(animals().size());
    const int animal = draw(gen, n);
    const auto fact = static_cast<Fact>(draw(gen, num_facts));
    const int wording = draw(gen, num_wordings);
    const bool plural = draw(gen, 2) == 1;
    int other = animal;
    while (fact_value(other, fact) == fact_value(animal, fact)) other = draw(gen, n);
    return make_sentence(animal, fact, wording, plural, other);
}

}  // namespace qkv::lesson07
