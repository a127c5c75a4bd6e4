#include "nn/interop/torch_names.hpp"

#include <cstdlib>
#include <set>
#include <type_traits>

#include "nn/state_dict.hpp"

namespace qkv::nn {

namespace {

// nn.Transformer's state dict names start with these; a qkv Transformer's other tensors lie outside it.
bool in_stacks(const std::string& name) { return name.starts_with("encoder.") || name.starts_with("decoder."); }

// Builds the table of one model from the names its state dict really has. Each method takes
// the qkv prefix and the PyTorch prefix of one submodule ("" or ending in a dot).
class TableBuilder {
public:
    TableBuilder(const char* op, Module& model) : op_(op), state_(state_dict(model)) {}

    std::vector<TorchName> rows;

    void attention(const std::string& q, const std::string& t) {
        std::vector<std::string> weights, biases;
        for (const char* p : {"q_proj.", "k_proj.", "v_proj."}) {
            weights.push_back(need(q + p + "weight"));
            if (has(q + p + "bias")) biases.push_back(q + p + "bias");
        }
        const bool out_bias = has(q + "out_proj.bias");
        // torch.nn.MultiheadAttention(bias=...) gives all four projections a bias, or none.
        const std::size_t with_bias = biases.size() + (out_bias ? 1 : 0);
        if (with_bias != 0 && with_bias != 4)
            fail(op_, "the attention '", q, "' has a bias on ", with_bias,
                 " of its 4 projections; torch.nn.MultiheadAttention has one on all four or on none");
        rows.push_back({t + "in_proj_weight", weights});                      // (3D, D)
        if (!biases.empty()) rows.push_back({t + "in_proj_bias", biases});    // (3D)
        rows.push_back({t + "out_proj.weight", {need(q + "out_proj.weight")}});
        if (out_bias) rows.push_back({t + "out_proj.bias", {q + "out_proj.bias"}});
    }

    // A Linear or a LayerNorm: its weight and (if it has one) its bias, under the new prefix.
    void affine(const std::string& q, const std::string& t) {
        rows.push_back({t + "weight", {need(q + "weight")}});
        if (has(q + "bias")) rows.push_back({t + "bias", {q + "bias"}});
    }

    void encoder_layer(const std::string& q, const std::string& t) {
        attention(q + "self_attn.", t + "self_attn.");
        affine(q + "feed_forward.linear1.", t + "linear1.");
        affine(q + "feed_forward.linear2.", t + "linear2.");
        affine(q + "norm1.", t + "norm1.");
        affine(q + "norm2.", t + "norm2.");
    }

    void decoder_layer(const std::string& q, const std::string& t) {
        attention(q + "self_attn.", t + "self_attn.");
        attention(q + "cross_attn.", t + "multihead_attn.");
        affine(q + "feed_forward.linear1.", t + "linear1.");
        affine(q + "feed_forward.linear2.", t + "linear2.");
        affine(q + "norm1.", t + "norm1.");
        affine(q + "norm2.", t + "norm2.");
        affine(q + "norm3.", t + "norm3.");
    }

    void stack(TransformerEncoder& s, const std::string& q, const std::string& t) {
        for (std::size_t i = 0; i < s.layers.size(); ++i)
            encoder_layer(cat(q, "layers.", i, "."), cat(t, "layers.", i, "."));
        if (s.norm) affine(q + "norm.", t + "norm.");
    }

    void stack(TransformerDecoder& s, const std::string& q, const std::string& t) {
        for (std::size_t i = 0; i < s.layers.size(); ++i)
            decoder_layer(cat(q, "layers.", i, "."), cat(t, "layers.", i, "."));
        if (s.norm) affine(q + "norm.", t + "norm.");
    }

    // A Transformer's tensors outside its stacks keep their qkv names.
    void outside_stacks() {
        for (const auto& [name, tensor] : state_)
            if (!in_stacks(name)) rows.push_back({name, {name}});
    }

    // Every qkv tensor whose name starts with `prefix` must be in a row: one the table does not
    // know (a part PyTorch's layer lacks) is refused rather than given a made-up name.
    void check_covered(const std::string& prefix, const char* torch_class) const {
        std::set<std::string> used;
        for (const TorchName& row : rows) used.insert(row.qkv.begin(), row.qkv.end());
        for (const auto& [name, tensor] : state_)
            if (name.starts_with(prefix) && !used.contains(name))
                fail(op_, "qkv's '", name, "' ", describe(tensor), " has no counterpart in ", torch_class,
                     "; not guessing a PyTorch name for it");
    }

private:
    bool has(const std::string& name) const { return state_.contains(name); }
    const std::string& need(const std::string& name) const {
        if (!has(name)) fail(op_, "the model has no '", name, "', which the PyTorch mapping reads");
        return name;
    }

    const char* op_;
    TensorMap state_;
};

// ---- the two directions, for any table -------------------------------------------------------

TensorMap pack(Module& model, const std::vector<TorchName>& table) {
    const TensorMap state = state_dict(model);
    TensorMap out;
    for (const TorchName& row : table) {
        std::vector<Tensor> parts;
        for (const std::string& name : row.qkv) parts.push_back(state.at(name));
        // Copies, so the caller may edit the result: concat makes one, a lone part is cloned.
        out[row.torch] = parts.size() == 1 ? parts[0].clone() : concat(parts, 0);  // in_proj: (3D, ...)
    }
    return out;
}

// What a row's PyTorch tensor must be: its parts' dtype, their shapes stacked along dim 0.
std::string expected(const TensorMap& state, const TorchName& row, Shape* shape_out = nullptr) {
    const Tensor& first = state.at(row.qkv.front());
    Shape shape = first.shape();
    for (std::size_t i = 1; i < row.qkv.size(); ++i) shape[0] += state.at(row.qkv[i]).size(0);
    if (shape_out) *shape_out = shape;
    return cat(dtype_name(first.dtype()), " ", shape_str(shape));
}

std::string parts_list(const TorchName& row) {
    std::string out;
    for (const std::string& name : row.qkv) out += cat(out.empty() ? "" : ", ", name);
    return row.qkv.size() > 1 ? cat("qkv's ", out, " stacked by rows") : cat("qkv's ", out);
}

// Why PyTorch may hold a tensor qkv has no place for, said beside the name.
std::string why_unexpected(const std::string& name, const TorchNameOptions* transformer) {
    if (name.ends_with("bias_k") || name.ends_with("bias_v"))
        return " (torch's add_bias_kv=True: qkv's MultiHeadAttention has no learned extra key and value)";
    if (name.ends_with("q_proj_weight") || name.ends_with("k_proj_weight") || name.ends_with("v_proj_weight"))
        return " (torch's separate projections for kdim or vdim != embed_dim: qkv's MultiHeadAttention projects "
               "keys and values from d_model, packed as in_proj_weight)";
    for (const char* norm : {"norm.weight", "norm.bias"})
        if (name == norm || name == cat("encoder.", norm) || name == cat("decoder.", norm))
            return " (the final LayerNorm nn.Transformer builds also for norm_first=False; qkv's post-norm stacks "
                   "have none: build PyTorch's with custom_encoder/custom_decoder whose norm is None, or use "
                   "norm_first=True on both sides)";
    if (transformer && transformer->stacks_only && !in_stacks(name))
        return " (not part of nn.Transformer: load without stacks_only)";
    return "";
}

// Checks `given` against the table completely, then copies it in; on any problem throws one
// error listing them all, having loaded nothing. `transformer`: the options, when the model is
// a whole Transformer (whose tensors outside the stacks get their own hints).
void unpack(const std::string& op, Module& model, const std::vector<TorchName>& table, const TensorMap& given,
            const TorchNameOptions* transformer = nullptr) {
    const TensorMap state = state_dict(model);
    LoadReport report;
    std::set<std::string> known;
    for (const TorchName& row : table) {
        known.insert(row.torch);
        Shape shape;
        const std::string want = expected(state, row, &shape);
        const auto it = given.find(row.torch);
        if (it == given.end()) {
            const bool outside = transformer && !transformer->stacks_only && !in_stacks(row.torch);
            report.missing.push_back(cat(row.torch, " (", want, ", ", parts_list(row), ")",
                                         outside ? "; a bare nn.Transformer state dict loads with stacks_only" : ""));
            continue;
        }
        const Tensor& got = it->second;
        const DType model_dtype = state.at(row.qkv.front()).dtype();
        // Floats convert to the model's float dtype; anything else must match.
        const bool converts = got.dtype() == model_dtype || (is_floating(got.dtype()) && is_floating(model_dtype));
        if (got.shape() != shape || !converts)
            report.mismatched.push_back(
                cat(row.torch, ": model ", want, " (", parts_list(row), "), given ", describe(got)));
    }
    for (const auto& [name, t] : given)
        if (!known.contains(name))
            report.unexpected.push_back(cat(name, " ", describe(t), why_unexpected(name, transformer)));
    if (!report.ok())
        fail(op, "the PyTorch state dict does not match the model; nothing was loaded:\n", report.str());

    for (const TorchName& row : table) {
        const Tensor& source = given.at(row.torch);
        if (row.qkv.size() == 1) {
            copy_(state.at(row.qkv[0]), source);  // converts float64 <-> float32
            continue;
        }
        std::int64_t offset = 0;  // in_proj: rows [0, D) are W_q, [D, 2D) W_k, [2D, 3D) W_v
        for (const std::string& name : row.qkv) {
            const Tensor& part = state.at(name);
            copy_(part, source.narrow(0, offset, part.size(0)));
            offset += part.size(0);
        }
    }
}

template <class M>
std::vector<TorchName> table_of(M& m, const char* torch_class) {
    TableBuilder b("torch_names", m);
    if constexpr (std::is_same_v<M, MultiHeadAttention>) b.attention("", "");
    else if constexpr (std::is_same_v<M, TransformerEncoderLayer>) b.encoder_layer("", "");
    else if constexpr (std::is_same_v<M, TransformerDecoderLayer>) b.decoder_layer("", "");
    else b.stack(m, "", "");
    b.check_covered("", torch_class);
    return std::move(b.rows);
}

// ---- the file's metadata -----------------------------------------------------------------------

const char* python_bool(bool b) { return b ? "True" : "False"; }

std::map<std::string, std::string> torch_config(const Transformer& model) {
    const TransformerConfig& c = model.config();
    const double eps = model.encoder.layers.front().norm1.eps();
    return {{"torch.module", "torch.nn.Transformer"},
            {"torch.d_model", cat(c.d_model)},
            {"torch.nhead", cat(c.num_heads)},
            {"torch.num_encoder_layers", cat(c.num_encoder_layers)},
            {"torch.num_decoder_layers", cat(c.num_decoder_layers)},
            {"torch.dim_feedforward", cat(c.d_ff)},
            {"torch.dropout", cat(c.dropout)},
            {"torch.activation", activation_name(c.activation)},
            {"torch.layer_norm_eps", cat(eps)},
            {"torch.batch_first", "True"},
            {"torch.norm_first", python_bool(c.norm_first)},
            {"torch.final_norms", python_bool(model.encoder.norm.has_value())}};
}

// Two metadata values agree when they are equal as text or, both being numbers, as numbers
// ("1e-05" and "1e-5").
bool same_value(const std::string& a, const std::string& b) {
    if (a == b) return true;
    char *end_a = nullptr, *end_b = nullptr;
    const double x = std::strtod(a.c_str(), &end_a), y = std::strtod(b.c_str(), &end_b);
    return !a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0' && x == y;
}

}  // namespace

// ---- the tables ----------------------------------------------------------------------------------

std::vector<TorchName> torch_names(MultiHeadAttention& attn) { return table_of(attn, "torch.nn.MultiheadAttention"); }
std::vector<TorchName> torch_names(TransformerEncoderLayer& layer) {
    return table_of(layer, "torch.nn.TransformerEncoderLayer");
}
std::vector<TorchName> torch_names(TransformerDecoderLayer& layer) {
    return table_of(layer, "torch.nn.TransformerDecoderLayer");
}
std::vector<TorchName> torch_names(TransformerEncoder& encoder) {
    return table_of(encoder, "torch.nn.TransformerEncoder");
}
std::vector<TorchName> torch_names(TransformerDecoder& decoder) {
    return table_of(decoder, "torch.nn.TransformerDecoder");
}

std::vector<TorchName> torch_names(Transformer& model, const TorchNameOptions& options) {
    TableBuilder b("torch_names", model);
    b.stack(model.encoder, "encoder.", "encoder.");
    b.stack(model.decoder, "decoder.", "decoder.");
    b.check_covered("encoder.", "torch.nn.TransformerEncoder");
    b.check_covered("decoder.", "torch.nn.TransformerDecoder");
    if (!options.stacks_only) b.outside_stacks();
    return std::move(b.rows);
}

// ---- qkv -> PyTorch --------------------------------------------------------------------------------

TensorMap to_torch_state_dict(MultiHeadAttention& attn) { return pack(attn, torch_names(attn)); }
TensorMap to_torch_state_dict(TransformerEncoderLayer& layer) { return pack(layer, torch_names(layer)); }
TensorMap to_torch_state_dict(TransformerDecoderLayer& layer) { return pack(layer, torch_names(layer)); }
TensorMap to_torch_state_dict(TransformerEncoder& encoder) { return pack(encoder, torch_names(encoder)); }
TensorMap to_torch_state_dict(TransformerDecoder& decoder) { return pack(decoder, torch_names(decoder)); }
TensorMap to_torch_state_dict(Transformer& model, const TorchNameOptions& options) {
    return pack(model, torch_names(model, options));
}

// ---- PyTorch -> qkv ----------------------------------------------------------------------------------

void load_torch_state_dict(MultiHeadAttention& attn, const TensorMap& tensors) {
    unpack("load_torch_state_dict(MultiHeadAttention)", attn, torch_names(attn), tensors);
}
void load_torch_state_dict(TransformerEncoderLayer& layer, const TensorMap& tensors) {
    unpack("load_torch_state_dict(TransformerEncoderLayer)", layer, torch_names(layer), tensors);
}
void load_torch_state_dict(TransformerDecoderLayer& layer, const TensorMap& tensors) {
    unpack("load_torch_state_dict(TransformerDecoderLayer)", layer, torch_names(layer), tensors);
}
void load_torch_state_dict(TransformerEncoder& encoder, const TensorMap& tensors) {
    unpack("load_torch_state_dict(TransformerEncoder)", encoder, torch_names(encoder), tensors);
}
void load_torch_state_dict(TransformerDecoder& decoder, const TensorMap& tensors) {
    unpack("load_torch_state_dict(TransformerDecoder)", decoder, torch_names(decoder), tensors);
}
void load_torch_state_dict(Transformer& model, const TensorMap& tensors, const TorchNameOptions& options) {
    unpack("load_torch_state_dict(Transformer)", model, torch_names(model, options), tensors, &options);
}

// ---- files -------------------------------------------------------------------------------------------

void save_torch_safetensors(const std::string& path, Transformer& model,
                            const std::map<std::string, std::string>& metadata, const TorchNameOptions& options) {
    std::map<std::string, std::string> all = torch_config(model);
    for (const auto& [key, value] : metadata) {
        if (key.starts_with("torch."))
            fail("save_torch_safetensors", "metadata key '", key, "' is reserved (keys starting with \"torch.\")");
        all[key] = value;
    }
    save_safetensors(path, to_torch_state_dict(model, options), all);  // atomically: a temporary file renamed
}

std::map<std::string, std::string> load_torch_safetensors(Transformer& model, const std::string& path,
                                                          const TorchNameOptions& options) {
    const SafetensorsFile file = load_safetensors(path);
    // The heads, the norms' place and the activation are in no tensor's shape: weights of a
    // 4-head model load into a 2-head one and compute something else. The file says, if qkv wrote
    // it. Dropout is left out: it is how one trains, not what the weights compute.
    for (const auto& [key, want] : torch_config(model)) {
        const auto it = file.metadata.find(key);
        if (key != "torch.dropout" && it != file.metadata.end() && !same_value(it->second, want))
            fail("load_torch_safetensors", "'", path, "' was saved from a model with ", key, " = ", it->second,
                 "; this model has ", want, "; nothing was loaded");
    }
    unpack(cat("load_torch_safetensors('", path, "')"), model, torch_names(model, options), file.tensors, &options);
    return file.metadata;
}

}  // namespace qkv::nn
