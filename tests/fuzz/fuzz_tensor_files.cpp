// The tensor-file parsers: .npy, safetensors, and the JSON reader under safetensors headers.
#include "fuzz_targets.hpp"

#include "tensor/json.hpp"
#include "tensor/npy.hpp"
#include "tensor/print.hpp"
#include "tensor/safetensors.hpp"

namespace qkv::fuzz {

void npy(const std::uint8_t* data, std::size_t size) {
    const std::string path = scratch_file(as_text(data, size), "in.npy");
    Tensor t;
    try {
        t = load_npy(path);
    } catch (const Error&) {
        return;
    }
    // Round trip: what was read is written and read back unchanged.
    const std::string again = scratch_file("", "again.npy");
    save_npy(again, t);
    const Tensor back = load_npy(again);
    if (!equal(t, back)) broken("npy", "save_npy then load_npy changed " + describe(t));
}

void safetensors(const std::uint8_t* data, std::size_t size) {
    const std::string path = scratch_file(as_text(data, size), "in.safetensors");
    SafetensorsFile file;
    try {
        file = load_safetensors(path);
    } catch (const Error&) {
        return;
    }
    const std::string again = scratch_file("", "again.safetensors");
    save_safetensors(again, file.tensors, file.metadata);  // every loaded name must be savable
    const SafetensorsFile back = load_safetensors(again);
    if (back.metadata != file.metadata) broken("safetensors", "metadata changed in a round trip");
    if (back.tensors.size() != file.tensors.size()) broken("safetensors", "tensor count changed in a round trip");
    for (const auto& [name, t] : file.tensors) {
        const auto it = back.tensors.find(name);
        if (it == back.tensors.end() || !equal(t, it->second)) broken("safetensors", "tensor '" + name + "' changed in a round trip");
    }
}

void json(const std::uint8_t* data, std::size_t size) {
    Json value;
    try {
        value = parse_json(as_text(data, size));
    } catch (const Error&) {
        return;
    }
    // What parses dumps (compact and indented) and parses back equal, unless it holds a
    // string that is not valid UTF-8... which parse_json never produces, so no exception.
    std::string compact;
    try {
        compact = value.dump();
    } catch (const Error& e) {
        broken("json", std::string("dump of a parsed value failed: ") + e.what());
    }
    if (!(parse_json(compact) == value)) broken("json", "parse(dump(v)) != v for " + compact.substr(0, 200));
    if (!(parse_json(value.dump(2)) == value)) broken("json", "parse(dump(v, 2)) != v");
}

}  // namespace qkv::fuzz
