#include "nn/bert/hf_checkpoint.hpp"

#include <algorithm>
#include <filesystem>

#include "nn/state_dict.hpp"

namespace qkv::nn {

namespace {

const std::string decoder_weight = "cls.predictions.decoder.weight";
const std::string decoder_bias = "cls.predictions.decoder.bias";
const std::string word_embeddings = "bert.embeddings.word_embeddings.weight";
const std::string mlm_bias = "cls.predictions.bias";

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A copy saved beside the tensor it is tied to must hold the same numbers; if not, the file
// came from an untied model, which this BERT cannot represent.
void check_tied_copy(const TensorMap& tensors, const std::string& copy, const std::string& original) {
    const auto c = tensors.find(copy);
    if (c == tensors.end()) return;
    const auto o = tensors.find(original);
    if (o == tensors.end()) fail("load_hf_state_dict", copy, " is present but ", original, " is missing");
    if (c->second.shape() != o->second.shape() ||
        c->second.to(DType::Float64).to_vector<double>() != o->second.to(DType::Float64).to_vector<double>())
        fail("load_hf_state_dict", copy, " ", shape_str(c->second.shape()), " differs from ", original, " ",
             shape_str(o->second.shape()), ": the decoder is not tied to it, and this BERT always ties them");
}

// The word embeddings' (V, D) and the number of encoder layers in the file must be the
// config's, or the config does not describe these weights (and may ask for a far larger model).
void check_sizes_against_config(const TensorMap& tensors, const BertConfig& config) {
    if (const auto e = tensors.find(word_embeddings); e != tensors.end() &&
                                                       e->second.shape() != Shape{config.vocab_size, config.hidden_size})
        fail("load_hf_pretrained", word_embeddings, " is ", shape_str(e->second.shape()),
             " but config.json says (vocab_size, hidden_size) = (", config.vocab_size, ", ", config.hidden_size, ")");
    const std::string prefix = "bert.encoder.layer.";
    std::int64_t layers = 0;
    for (const auto& [name, t] : tensors) {
        if (name.compare(0, prefix.size(), prefix) != 0) continue;
        std::int64_t i = 0;
        std::size_t p = prefix.size();
        for (; p < name.size() && name[p] >= '0' && name[p] <= '9' && i < 1'000'000; ++p) i = 10 * i + (name[p] - '0');
        if (p > prefix.size()) layers = std::max(layers, i + 1);
    }
    // (No layer names at all, as in a file saved without the bert. prefix: the strict load
    // below lists every missing name, which says more.)
    if (layers > 0 && layers != config.num_hidden_layers)
        fail("load_hf_pretrained", "the file has ", layers, " encoder layers (bert.encoder.layer.N) but config.json says ",
             "num_hidden_layers ", config.num_hidden_layers);
}

}  // namespace

TensorMap hf_state_dict(BertForPreTraining& model, bool include_decoder) {
    TensorMap out;
    for (const auto& [name, t] : state_dict(model)) out[name] = t.contiguous();
    if (include_decoder) {
        out[decoder_weight] = out.at(word_embeddings).clone();
        out[decoder_bias] = out.at(mlm_bias).clone();
    }
    return out;
}

void load_hf_state_dict(BertForPreTraining& model, const TensorMap& tensors) {
    TensorMap renamed;
    for (const auto& [name, t] : tensors) {
        std::string n = name;
        if (ends_with(n, "LayerNorm.gamma")) n = n.substr(0, n.size() - 5) + "weight";
        if (ends_with(n, "LayerNorm.beta")) n = n.substr(0, n.size() - 4) + "bias";
        renamed[n] = t;
    }
    check_tied_copy(renamed, decoder_weight, word_embeddings);
    check_tied_copy(renamed, decoder_bias, mlm_bias);
    renamed.erase(decoder_weight);
    renamed.erase(decoder_bias);
    renamed.erase("bert.embeddings.position_ids");
    load_state_dict(model, renamed);  // strict: one error listing every missing, unexpected or mismatched name
}

void save_hf_pretrained(const std::string& dir, BertForPreTraining& model, const Vocab& vocab, bool include_decoder) {
    if (vocab.size() != model.config().vocab_size)
        fail("save_hf_pretrained", "the vocabulary has ", vocab.size(), " tokens but the model's vocab_size is ",
             model.config().vocab_size);
    std::filesystem::create_directories(dir);
    model.config().save(dir + "/config.json");
    vocab.save(dir + "/vocab.txt");
    save_safetensors(dir + "/model.safetensors", hf_state_dict(model, include_decoder), {{"format", "pt"}});
}

HfBert load_hf_pretrained(const std::string& dir, bool lower_case) {
    const BertConfig config = BertConfig::load(dir + "/config.json");
    Vocab vocab = Vocab::load(dir + "/vocab.txt");
    if (vocab.size() != config.vocab_size)
        fail("load_hf_pretrained", "'", dir, "/vocab.txt' has ", vocab.size(), " tokens but config.json says vocab_size ",
             config.vocab_size);
    const std::string weights = dir + "/model.safetensors";
    try {
        const TensorMap tensors = load_safetensors(weights).tensors;
        check_sizes_against_config(tensors, config);  // before the model is built from the config
        BertForPreTraining model(config);
        load_hf_state_dict(model, tensors);
        model.eval();
        return HfBert{config, std::move(model), BertTokenizer(std::move(vocab), BasicTokenizer(lower_case))};
    } catch (const Error& e) {
        fail("load_hf_pretrained", "'", weights, "': ", e.what());
    }
}

}  // namespace qkv::nn
