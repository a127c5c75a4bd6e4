#include "nn/bert/hf_checkpoint.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "nn/state_dict.hpp"
#include "tensor/atomic_file.hpp"

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

// The names and shapes a model built from `config` would have, found without building it: a
// model of the same structure is built with small, distinct "marker" sizes (nothing of it is
// big), and every dim of its tensors equal to a marker is replaced by the config's size. No
// BERT tensor has a dim that is a product of sizes, so each dim is a size or a constant (the
// next-sentence head's 2). tests/nn/test_hostile_files.cpp checks the result against a real
// model's state_dict.
std::map<std::string, Shape> expected_shapes(const BertConfig& config) {
    BertConfig markers = config;
    markers.vocab_size = 23;
    markers.hidden_size = 11;
    markers.num_attention_heads = 1;
    markers.intermediate_size = 13;
    markers.max_position_embeddings = 17;
    markers.type_vocab_size = 19;
    markers.pad_token_id = 0;
    const std::pair<std::int64_t, std::int64_t> real_of[] = {
        {23, config.vocab_size}, {11, config.hidden_size}, {13, config.intermediate_size},
        {17, config.max_position_embeddings}, {19, config.type_vocab_size}};
    Generator gen(0);  // its own generator: the caller's random streams are not touched
    BertForPreTraining small(markers, gen);
    std::map<std::string, Shape> out;
    for (const auto& [name, t] : state_dict(small)) {
        Shape shape = t.shape();
        for (auto& d : shape)
            for (const auto& [marker, real] : real_of)
                if (d == marker) {
                    d = real;
                    break;  // once: a real size may equal another marker
                }
        out[name] = shape;
    }
    return out;
}

// Every tensor the config asks for must be in the file with the config's shape, checked before
// the model is built: a config.json that lies (vocab_size 1,000,000 beside a file of one
// unrelated tensor) would otherwise allocate gigabytes before the strict load refuses it. Once
// this passes, the model is no larger than the file's data.
void check_file_against_config(const TensorMap& tensors, const BertConfig& config) {
    std::vector<std::string> missing, wrong;
    for (const auto& [name, shape] : expected_shapes(config)) {
        const auto it = tensors.find(name);
        if (it == tensors.end()) missing.push_back(name);
        else if (it->second.shape() != shape)
            wrong.push_back(cat(name, " is ", shape_str(it->second.shape()), ", config.json asks for ", shape_str(shape)));
    }
    if (missing.empty() && wrong.empty()) return;
    std::string message = "the file does not hold the model config.json describes (vocab_size " +
                          std::to_string(config.vocab_size) + ", hidden_size " + std::to_string(config.hidden_size) +
                          ", num_hidden_layers " + std::to_string(config.num_hidden_layers) + ")";
    const auto list = [&](const char* what, const std::vector<std::string>& items) {
        if (items.empty()) return;
        message += cat("; ", what, " (", items.size(), "): ");
        for (std::size_t i = 0; i < items.size() && i < 8; ++i) message += (i ? ", " : "") + items[i];
        if (items.size() > 8) message += ", ...";
    };
    list("missing", missing);
    list("wrong shape", wrong);
    fail("load_hf_pretrained", message);
}

// Hugging Face's extras folded into qkv's names: TensorFlow-era LayerNorm names renamed, the
// tied decoder copies checked and dropped, position_ids dropped.
TensorMap canonical_names(const TensorMap& tensors) {
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
    return renamed;
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
    // strict: one error listing every missing, unexpected or mismatched name
    load_state_dict(model, canonical_names(tensors));
}

void save_hf_pretrained(const std::string& dir, BertForPreTraining& model, const Vocab& vocab, bool include_decoder) {
    if (vocab.size() != model.config().vocab_size)
        fail("save_hf_pretrained", "the vocabulary has ", vocab.size(), " tokens but the model's vocab_size is ",
             model.config().vocab_size);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) fail("save_hf_pretrained", "cannot create the folder '", dir, "': ", ec.message());
    // Each file is written atomically, but three renames are not one: the marker, present
    // while the three are being replaced, lets load_hf_pretrained refuse a folder whose save
    // was interrupted (new config.json beside the old weights) instead of loading a mix.
    const std::string marker = dir + "/" + std::string(hf_save_marker);
    write_file_atomically(marker, "save_hf_pretrained was writing this folder; it did not finish\n");
    model.config().save(dir + "/config.json");
    vocab.save(dir + "/vocab.txt");
    save_safetensors(dir + "/model.safetensors", hf_state_dict(model, include_decoder), {{"format", "pt"}});
    if (std::remove(marker.c_str()) != 0)
        fail("save_hf_pretrained", "cannot remove '", marker, "' after saving: ", std::strerror(errno));
}

HfBert load_hf_pretrained(const std::string& dir, bool lower_case) {
    if (std::error_code ec; std::filesystem::exists(dir + "/" + std::string(hf_save_marker), ec))
        fail("load_hf_pretrained", "'", dir, "' holds ", hf_save_marker,
             ": a save_hf_pretrained into it was interrupted, so its files may come from two different saves; "
             "save the model again (or delete the marker if you know the files belong together)");
    const BertConfig config = BertConfig::load(dir + "/config.json");
    Vocab vocab = Vocab::load(dir + "/vocab.txt");
    if (vocab.size() != config.vocab_size)
        fail("load_hf_pretrained", "'", dir, "/vocab.txt' has ", vocab.size(), " tokens but config.json says vocab_size ",
             config.vocab_size);
    const std::string weights = dir + "/model.safetensors";
    try {
        const TensorMap tensors = load_safetensors(weights).tensors;
        check_file_against_config(canonical_names(tensors), config);  // before the model is built
        BertForPreTraining model(config);
        load_hf_state_dict(model, tensors);
        model.eval();
        return HfBert{config, std::move(model), BertTokenizer(std::move(vocab), BasicTokenizer(lower_case))};
    } catch (const Error& e) {
        fail("load_hf_pretrained", "'", weights, "': ", e.what());
    }
}

}  // namespace qkv::nn
