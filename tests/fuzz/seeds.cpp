// The seed corpus: small valid files of each format, written by qkv's own savers so that they
// are valid by construction. `qkv_fuzz_replay --write-seeds tests/fuzz/corpus` regenerates the
// committed files (it is deterministic).
#include <filesystem>

#include "fuzz_targets.hpp"

#include "autograd/autograd.hpp"
#include "nn/bert/config.hpp"
#include "nn/checkpoint.hpp"
#include "nn/linear.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/text/vocab.hpp"
#include "tensor/atomic_file.hpp"
#include "tensor/creation.hpp"
#include "tensor/npy.hpp"
#include "tensor/random.hpp"
#include "tensor/safetensors.hpp"

namespace qkv::fuzz {

void write_seeds(const std::string& root) {
    namespace fs = std::filesystem;
    auto dir = [&](const char* target) {
        fs::create_directories(fs::path(root) / target);
        return (fs::path(root) / target).string() + "/";
    };
    Generator gen(1);

    const std::string npy_dir = dir("npy");
    save_npy(npy_dir + "f32_2x3.npy", randn({2, 3}, 0, 1, DType::Float32, gen));
    save_npy(npy_dir + "f64_scalar.npy", scalar(2.5, DType::Float64));
    save_npy(npy_dir + "i64_4.npy", arange(4));
    save_npy(npy_dir + "bool_2x2.npy", from_vector(std::vector<std::uint8_t>{1, 0, 0, 1}, {2, 2}));
    save_npy(npy_dir + "f32_empty_0x3.npy", zeros({0, 3}));

    const std::string st_dir = dir("safetensors");
    save_safetensors(st_dir + "two.safetensors", {{"w", randn({2, 2}, 0, 1, DType::Float32, gen)}, {"ids", arange(3)}},
                     {{"format", "pt"}});
    save_safetensors(st_dir + "dtypes.safetensors",
                     {{"a", scalar(1.0, DType::Float64)}, {"b", from_vector(std::vector<std::uint8_t>{1, 0})}, {"c", zeros({0})}});

    const std::string json_dir = dir("json");
    write_file_atomically(json_dir + "object.json", R"({"a": [1, -2.5e3, true, null], "b": {"c": "d\u00e9\n"}})");
    write_file_atomically(json_dir + "numbers.json", "[0, -0, 9223372036854775807, 1e308, 0.1, 1E-5]");
    write_file_atomically(json_dir + "header.json",
                          R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})");

    const std::string vocab_dir = dir("vocab");
    nn::Vocab({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "##s", "un", "##aff", "##able", ","}).save(vocab_dir + "bert_vocab.txt");
    write_file_atomically(vocab_dir + "crlf_vocab.txt", "[PAD]\r\n[UNK]\r\nhello\r\n\xE4\xBD\xA0\r\n");
    write_file_atomically(vocab_dir + "text.txt", "The cats sat, unaffable! \xE4\xBD\xA0\xE5\xA5\xBD [MASK] caf\xC3\xA9");

    const std::string config_dir = dir("bert_config");
    nn::BertConfig c;
    c.vocab_size = 100, c.hidden_size = 16, c.num_hidden_layers = 2, c.num_attention_heads = 2, c.intermediate_size = 32;
    c.save(config_dir + "tiny_config.json");
    write_file_atomically(config_dir + "hf_style.json",
                          R"({"architectures":["BertForMaskedLM"],"model_type":"bert","vocab_size":30522,"hidden_size":128,)"
                          R"("num_hidden_layers":2,"num_attention_heads":2,"intermediate_size":512,"hidden_act":"gelu_new",)"
                          R"("position_embedding_type":"absolute","layer_norm_eps":1e-12})");

    // A checkpoint of the model the checkpoint target loads into (Linear 3 -> 2, Adam, one
    // generator "data"), after two steps; and one of SGD state, which that target must refuse.
    const std::string ckpt_dir = dir("checkpoint");
    Generator init(7), data(8);
    nn::Linear model(3, 2, init);
    nn::Adam adam(model.named_parameters(), 0.01);
    for (int i = 0; i < 2; ++i) {
        adam.zero_grad();
        sum(model.forward(Var(ones({1, 3})))).backward();
        adam.step();
    }
    data.normal();
    nn::save_checkpoint(ckpt_dir + "adam.safetensors", model, adam, {{"note", "seed"}}, {{"data", &data}});
    nn::SGD sgd(model.named_parameters(), 0.1, 0.9);
    sgd.zero_grad();
    sum(model.forward(Var(ones({1, 3})))).backward();
    sgd.step();
    nn::save_checkpoint(ckpt_dir + "sgd.safetensors", model, sgd, {}, {{"data", &data}});
}

}  // namespace qkv::fuzz
