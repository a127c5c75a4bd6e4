#include "lessons/10_tiny_gpt/poem_data.hpp"

#include <filesystem>

namespace qkv::lesson10 {

PoemData load_poem_data(const std::string& corpus_path, std::uint64_t seed) {
    const bool generated = !std::filesystem::exists(corpus_path);
    Corpus corpus = generated ? parse_fortune_poems(generated_fortune_text(320, seed + 7)) : read_corpus(corpus_path);
    if (generated) corpus.source = "generated";
    if (corpus.poems.size() < 20)
        fail("corpus", corpus.source, " holds ", corpus.poems.size(), " poems; the lesson needs at least 20",
             corpus.malformed ? " (first malformed record: " + corpus.first_problem + ")" : "");
    Split split = split_poems(corpus.poems, seed);
    CharTokens tokens = CharTokens::build(split.train);
    std::vector<Ids> train, heldout;
    for (const Poem& p : split.train) train.push_back(tokens.encode(p));
    for (const Poem& p : split.validation) heldout.push_back(tokens.encode(p));
    return PoemData{std::move(corpus), generated, std::move(split), std::move(tokens), std::move(train), std::move(heldout)};
}

}  // namespace qkv::lesson10
