// The KV cache (nn/transformer/kv_cache.hpp): one cached step gives the decoder state that
// running the whole prefix gives, and greedy / beam decoding through the cache give the tokens
// and scores of decoding without it.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "nn/data/batch.hpp"
#include "nn/transformer/decoding.hpp"
#include "nn/transformer/kv_cache.hpp"
#include "tensor/indexing.hpp"
#include "tests/testing.hpp"

using namespace qkv;
using qkv::test::max_abs_diff;
using namespace qkv::nn;

namespace {

TransformerConfig cache_config(bool norm_first, bool share) {
    TransformerConfig c;
    c.src_vocab_size = 13;
    c.tgt_vocab_size = share ? 13 : 11;
    c.d_model = 16;
    c.num_heads = 4;
    c.num_encoder_layers = 2;
    c.num_decoder_layers = 3;
    c.d_ff = 24;
    c.dropout = 0.1;  // decoding switches it off; the cache must too
    c.max_len = 20;
    c.norm_first = norm_first;
    c.share_embeddings = share;
    return c;
}

}  // namespace

TEST_CASE("kv cache: each cached step equals the decoder run on the whole prefix") {
    for (bool norm_first : {false, true}) {
        manual_seed(3);
        Transformer m(cache_config(norm_first, norm_first));
        m.eval();
        NoGradGuard no_grad;
        Generator gen(4);
        const Tensor src = randint(3, 13, {3, 7}, gen), tgt = randint(3, 11, {3, 9}, gen);
        const Tensor padding = key_padding_mask(tensor({7, 4, 2}, DType::Int64), 7);
        const Var memory = m.encode(src, padding);
        KVCache cache = start_kv_cache(m, memory, padding, 9);
        for (std::int64_t t = 0; t < 9; ++t) {
            const Tensor step = decode_next(m, tgt.select(1, t).contiguous(), cache).data();      // (3, D)
            const Tensor full = m.decode(tgt.narrow(1, 0, t + 1), memory, padding).data().select(1, t);  // (3, D)
            INFO("norm_first ", norm_first, ", position ", t);
            CHECK(max_abs_diff(step, full) <= 1e-5);
        }
        CHECK(cache.length == 9);
        CHECK_THROWS_WITH_AS(decode_next(m, tgt.select(1, 0).contiguous(), cache), doctest::Contains("cache is full"),
                             Error);
    }
}

TEST_CASE("kv cache: greedy and beam decoding give the same tokens and scores with and without it") {
    for (bool norm_first : {false, true}) {
        manual_seed(11);
        Transformer m(cache_config(norm_first, false));
        Generator gen(12);
        const Tensor src = randint(3, 13, {10, 8}, gen);
        const Tensor padding = key_padding_mask(tensor({8, 3, 5, 8, 1, 6, 7, 2, 8, 4}, DType::Int64), 8);
        BeamOptions o;
        o.bos_id = 1, o.eos_id = 2, o.max_len = 12, o.beam_size = 3;
        BeamOptions slow = o;
        slow.use_cache = false;
        CHECK(greedy_decode(m, src, padding, o) == greedy_decode(m, src, padding, slow));
        const auto fast = beam_search(m, src, padding, o), full = beam_search(m, src, padding, slow);
        REQUIRE(fast.size() == full.size());
        for (std::size_t i = 0; i < fast.size(); ++i) {
            INFO("norm_first ", norm_first, ", example ", i);
            CHECK(fast[i].tokens == full[i].tokens);
            CHECK(fast[i].finished == full[i].finished);
            CHECK(std::abs(fast[i].score - full[i].score) <= 1e-5);
            CHECK(std::abs(fast[i].log_prob - full[i].log_prob) <= 1e-5);
        }
    }
}

TEST_CASE("kv cache: select_rows moves each row's cache, as beam search needs when beams swap parents") {
    // Three rows decode different prefixes; then row 0 continues row 2's prefix and rows 1 and 2
    // continue row 0's (two beams from one parent, one parent dropped). The next cached step must
    // equal the decoder run on the reordered prefixes, which it cannot if select_rows kept the
    // old rows or copied the wrong ones.
    manual_seed(5);
    Transformer m(cache_config(true, false));
    m.eval();
    NoGradGuard no_grad;
    Generator gen(6);
    const Tensor src = randint(3, 13, {3, 7}, gen), tgt = randint(3, 11, {3, 5}, gen);
    const Var memory = m.encode(src, Tensor());
    KVCache cache = start_kv_cache(m, memory, Tensor(), 6);
    for (std::int64_t t = 0; t < 4; ++t) decode_next(m, tgt.select(1, t).contiguous(), cache);
    const Tensor parents = tensor({2, 0, 0}, DType::Int64);
    cache.select_rows(parents);
    const Tensor reordered = index_select(tgt, 0, parents);  // (3, 5): each row's new prefix
    const Var reordered_memory(index_select(memory.data(), 0, parents));
    const Tensor step = decode_next(m, reordered.select(1, 4).contiguous(), cache).data();            // (3, D)
    const Tensor full = m.decode(reordered, reordered_memory, Tensor()).data().select(1, 4);          // (3, D)
    const Tensor unordered = m.decode(tgt, memory, Tensor()).data().select(1, 4);                     // (3, D)
    CHECK(max_abs_diff(step, full) <= 1e-5);
    CHECK(max_abs_diff(step, unordered) > 1e-2);  // the reorder changed what the rows see
}
