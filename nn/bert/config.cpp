#include "nn/bert/config.hpp"

#include "tensor/atomic_file.hpp"

namespace qkv::nn {

namespace {

bool is_tanh_gelu(const std::string& act) { return act == "gelu_new" || act == "gelu_pytorch_tanh"; }

}  // namespace

void BertConfig::validate() const {
    // The upper bounds are far above any real BERT (bert-large: width 1024, 24 layers, FFN 4096;
    // the largest vocabularies ~250,000), so a corrupt or hostile config.json is refused with its
    // field's name instead of asking for terabytes when the model is built.
    struct Size {
        const char* name;
        std::int64_t value, max;
    };
    const Size sizes[] = {{"vocab_size", vocab_size, 1 << 20},
                          {"hidden_size", hidden_size, 1 << 14},
                          {"num_hidden_layers", num_hidden_layers, 256},
                          {"num_attention_heads", num_attention_heads, 1 << 14},
                          {"intermediate_size", intermediate_size, 1 << 16},
                          {"max_position_embeddings", max_position_embeddings, 1 << 16},
                          {"type_vocab_size", type_vocab_size, 1 << 10}};
    for (const Size& s : sizes) {
        if (s.value < 1) fail("BertConfig", s.name, " must be >= 1, got ", s.value);
        if (s.value > s.max) fail("BertConfig", s.name, " must be <= ", s.max, ", got ", s.value);
    }
    // Each size may be plausible and their product still not: bound the parameter count,
    //   D (V + P + S) + L (4 D^2 + 2 D F) + 2 D^2 (pooler, MLM transform), biases aside.
    const double D = static_cast<double>(hidden_size);
    const double params = D * static_cast<double>(vocab_size + max_position_embeddings + type_vocab_size) +
                          static_cast<double>(num_hidden_layers) * (4 * D * D + 2 * D * static_cast<double>(intermediate_size)) +
                          2 * D * D;
    if (params > 1e9)
        fail("BertConfig", "these sizes make about ", params, " parameters (", params * 4 / 1e9,
             " GB in float32); the limit is 1e9 (bert-large has 3.4e8)");
    if (hidden_size % num_attention_heads != 0)
        fail("BertConfig", "hidden_size ", hidden_size, " is not divisible by num_attention_heads ",
             num_attention_heads);
    for (const auto& [name, p] : {std::pair{"hidden_dropout_prob", hidden_dropout_prob},
                                  std::pair{"attention_probs_dropout_prob", attention_probs_dropout_prob}})
        if (!(p >= 0.0 && p < 1.0)) fail("BertConfig", name, " must be in [0, 1), got ", p);
    if (!(layer_norm_eps > 0.0 && layer_norm_eps <= 1.0))
        fail("BertConfig", "layer_norm_eps must be in (0, 1], got ", layer_norm_eps);
    // The std of the initial weights: 0 would make every head identical, and a negative or
    // infinite one is not a standard deviation.
    if (!(initializer_range > 0.0 && initializer_range <= 1.0))
        fail("BertConfig", "initializer_range must be in (0, 1], got ", initializer_range);
    if (pad_token_id < 0 || pad_token_id >= vocab_size)
        fail("BertConfig", "pad_token_id ", pad_token_id, " is outside the vocabulary of ", vocab_size);
    if (hidden_act != "gelu" && !is_tanh_gelu(hidden_act))
        fail("BertConfig", "hidden_act \"", hidden_act, "\" is not supported (only gelu, gelu_new, gelu_pytorch_tanh)");
}

Json BertConfig::to_json() const {
    return Json::object({{"architectures", Json::array({"BertForPreTraining"})},
                         {"model_type", "bert"},
                         {"vocab_size", vocab_size},
                         {"hidden_size", hidden_size},
                         {"num_hidden_layers", num_hidden_layers},
                         {"num_attention_heads", num_attention_heads},
                         {"intermediate_size", intermediate_size},
                         {"max_position_embeddings", max_position_embeddings},
                         {"type_vocab_size", type_vocab_size},
                         {"hidden_dropout_prob", hidden_dropout_prob},
                         {"attention_probs_dropout_prob", attention_probs_dropout_prob},
                         {"layer_norm_eps", layer_norm_eps},
                         {"initializer_range", initializer_range},
                         {"pad_token_id", pad_token_id},
                         {"hidden_act", hidden_act}});
}

BertConfig BertConfig::from_json(const Json& json) {
    if (!json.is_object()) fail("BertConfig", "config.json must hold an object, got ", json_kind_name(json.kind()));
    BertConfig c;
    // The sizes that make the model's shape must be stated: "{}" would silently describe
    // bert-base, whatever the weights beside it are. (The rest keep BERT's defaults.)
    for (const char* key : {"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"})
        if (!json.find(key)) fail("BertConfig", "config.json lacks \"", key, "\" (the model's sizes must be stated)");
    auto read_int = [&](const char* key, std::int64_t& field) {
        if (const Json* v = json.find(key)) {
            if (!v->is_int()) fail("BertConfig", "\"", key, "\" must be an integer, got ", json_kind_name(v->kind()));
            field = v->as_int();
        }
    };
    auto read_double = [&](const char* key, double& field) {
        if (const Json* v = json.find(key)) {
            if (!v->is_number()) fail("BertConfig", "\"", key, "\" must be a number, got ", json_kind_name(v->kind()));
            field = v->as_double();
        }
    };
    read_int("vocab_size", c.vocab_size);
    read_int("hidden_size", c.hidden_size);
    read_int("num_hidden_layers", c.num_hidden_layers);
    read_int("num_attention_heads", c.num_attention_heads);
    read_int("intermediate_size", c.intermediate_size);
    read_int("max_position_embeddings", c.max_position_embeddings);
    read_int("type_vocab_size", c.type_vocab_size);
    read_int("pad_token_id", c.pad_token_id);
    read_double("hidden_dropout_prob", c.hidden_dropout_prob);
    read_double("attention_probs_dropout_prob", c.attention_probs_dropout_prob);
    read_double("layer_norm_eps", c.layer_norm_eps);
    read_double("initializer_range", c.initializer_range);
    if (const Json* v = json.find("hidden_act")) {
        if (!v->is_string()) fail("BertConfig", "\"hidden_act\" must be a string, got ", json_kind_name(v->kind()));
        c.hidden_act = v->as_string();
    }
    // Relative position embeddings (a later variant) would need other parameters: refuse them.
    if (const Json* v = json.find("position_embedding_type"); v && !(v->is_string() && v->as_string() == "absolute"))
        fail("BertConfig", "position_embedding_type must be \"absolute\" (learned positions), got ", v->dump());
    c.validate();
    return c;
}

// A config.json is a few hundred bytes.
constexpr std::uint64_t max_config_file_bytes = std::uint64_t{1} << 20;

BertConfig BertConfig::load(const std::string& path) {
    const std::string text = read_file(path, "BertConfig::load", max_config_file_bytes);  // its error names the path
    try {
        return from_json(parse_json(text));
    } catch (const Error& e) {
        fail("BertConfig::load", "'", path, "': ", e.what());
    }
}

void BertConfig::save(const std::string& path) const { write_file_atomically(path, to_json().dump(2) + "\n"); }

}  // namespace qkv::nn
