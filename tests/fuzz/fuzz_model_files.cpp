// The model-file parsers: vocab.txt with WordPiece over it, BERT's config.json, checkpoints.
#include "fuzz_targets.hpp"

#include <algorithm>
#include <bit>

#include "autograd/autograd.hpp"
#include "nn/bert/config.hpp"
#include "nn/checkpoint.hpp"
#include "nn/linear.hpp"
#include "nn/optim/adam.hpp"
#include "nn/state_dict.hpp"
#include "nn/text/wordpiece.hpp"
#include "tensor/print.hpp"

namespace qkv::fuzz {

namespace {

// WordPiece's promises over any text: every piece is in the vocabulary, ids are in range, and
// encode_pair fits max_len. Text that is not UTF-8 is refused with qkv::Error, which is fine.
void check_wordpiece(const nn::BertTokenizer& tok, std::string_view text) {
    try {
        (void)tok.tokenize(text);
    } catch (const Error&) {
        return;
    }
    for (const std::string& piece : tok.tokenize(text))
        if (!tok.vocab().contains(piece)) broken("vocab", "tokenize gave '" + piece + "', which is not in the vocabulary");
    for (const std::int64_t id : tok.encode(text))
        if (id < 0 || id >= tok.vocab().size()) broken("vocab", "encode gave id " + std::to_string(id));
    if (tok.vocab().contains(nn::special::cls) && tok.vocab().contains(nn::special::sep)) {
        std::size_t half = text.size() / 2;  // at a character boundary: both halves stay UTF-8
        while (half > 0 && (static_cast<unsigned char>(text[half]) & 0xC0) == 0x80) --half;
        const nn::BertEncoding e = tok.encode_pair(text.substr(0, half), text.substr(half), 16);
        if (e.input_ids.size() > 16 || e.input_ids.size() != e.token_type_ids.size())
            broken("vocab", "encode_pair broke max_len or gave unequal id and segment lists");
    }
    (void)tok.decode(tok.encode(text));
}

}  // namespace

void vocab(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = as_text(data, size);
    // The bytes as text for WordPiece with a fixed vocabulary...
    static const nn::BertTokenizer fixed(nn::Vocab({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "##s",
                                                    "sat", "un", "##able", "a", "##b", ",", ".", "\xE4\xBD\xA0"}));
    check_wordpiece(fixed, text);
    // ...and as a vocab.txt.
    const std::string path = scratch_file(text, "vocab.txt");
    nn::Vocab v;
    try {
        v = nn::Vocab::load(path);
    } catch (const Error&) {
        return;
    }
    const std::string again = scratch_file("", "again.txt");
    v.save(again);
    if (nn::Vocab::load(again).all_tokens() != v.all_tokens()) broken("vocab", "Vocab save then load changed the tokens");
    if (!v.contains(nn::special::unk)) return;  // BertTokenizer needs [UNK]
    check_wordpiece(nn::BertTokenizer(v), text.substr(0, 512));
}

void bert_config(const std::uint8_t* data, std::size_t size) {
    const std::string path = scratch_file(as_text(data, size), "config.json");
    nn::BertConfig c;
    try {
        c = nn::BertConfig::load(path);
    } catch (const Error&) {
        return;
    }
    const std::string again = scratch_file("", "again.json");
    c.save(again);
    if (!(nn::BertConfig::load(again).to_json() == c.to_json())) broken("bert_config", "save then load changed the config");
}

namespace {

// The state a checkpoint load writes into, snapshotted to compare before and after.
struct Snapshot {
    TensorMap model, optimizer;
    Generator::State gen;
    bool operator==(const Snapshot& o) const {
        auto same = [](const TensorMap& a, const TensorMap& b) {
            if (a.size() != b.size()) return false;
            for (const auto& [k, t] : a)
                if (!b.count(k) || !equal(t, b.at(k))) return false;
            return true;
        };
        return same(model, o.model) && same(optimizer, o.optimizer) &&
               std::equal(std::begin(gen.s), std::end(gen.s), std::begin(o.gen.s)) && gen.has_spare == o.gen.has_spare &&
               (!gen.has_spare || std::bit_cast<std::uint64_t>(gen.spare) == std::bit_cast<std::uint64_t>(o.gen.spare));
    }
};

// A model, an optimizer with state (one step taken) and a generator, always built the same.
struct Setup {
    Generator init{7}, gen{8};
    nn::Linear model{3, 2, init};
    nn::Adam opt{model.named_parameters(), 0.01};
    Setup() {
        opt.zero_grad();
        sum(model.forward(Var(ones({1, 3})))).backward();
        opt.step();
        gen.normal();  // a kept spare normal, so that part of the state is exercised too
    }
    Snapshot snapshot() {
        TensorMap m;
        for (const auto& [name, t] : nn::state_dict(model)) m[name] = t.clone();
        return {m, opt.state_dict(), gen.state()};
    }
};

}  // namespace

void checkpoint(const std::uint8_t* data, std::size_t size) {
    const std::string path = scratch_file(as_text(data, size), "ckpt.safetensors");
    Setup s;
    const Snapshot before = s.snapshot();
    try {
        nn::load_checkpoint(path, s.model, s.opt, {{"data", &s.gen}});
    } catch (const Error&) {
        if (!(s.snapshot() == before)) broken("checkpoint", "a failed load changed the model, optimizer or generator");
        return;
    }
    // Loaded: a step must be possible (the counters and lr are usable), and a save then load
    // into a fresh setup must give the same state.
    const std::string again = scratch_file("", "again.safetensors");
    nn::save_checkpoint(again, s.model, s.opt, {}, {{"data", &s.gen}});
    Setup fresh;
    nn::load_checkpoint(again, fresh.model, fresh.opt, {{"data", &fresh.gen}});
    if (!(fresh.snapshot() == s.snapshot())) broken("checkpoint", "save then load changed the state");
    s.opt.zero_grad();
    sum(s.model.forward(Var(ones({1, 3})))).backward();
    s.opt.step();
}

}  // namespace qkv::fuzz
