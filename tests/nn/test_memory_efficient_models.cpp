// The Transformer and BERT with memory_efficient_attention switched on compute what they
// compute with the naive attention (no dropout, so the maths is identical): the same logits and
// hidden states up to float32 rounding, and the same gradients.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/attention/recording.hpp"
#include "nn/bert/bert_model.hpp"
#include "nn/data/batch.hpp"
#include "nn/transformer/transformer.hpp"
#include "tests/testing.hpp"

using namespace qkv;
using qkv::test::max_abs_diff;
using namespace qkv::nn;

TEST_CASE("memory-efficient models: the Transformer gives the naive one's logits and gradients") {
    for (bool norm_first : {false, true}) {
        TransformerConfig c;
        c.src_vocab_size = c.tgt_vocab_size = 13;
        c.d_model = 16, c.num_heads = 4, c.d_ff = 24, c.num_encoder_layers = c.num_decoder_layers = 2;
        c.dropout = 0.0, c.max_len = 12, c.norm_first = norm_first;
        TransformerConfig tiled_config = c;
        tiled_config.memory_efficient_attention = true;
        Generator g1(5), g2(5);
        Transformer naive(c, g1), tiled(tiled_config, g2);
        Generator gen(6);
        const Tensor src = randint(3, 13, {3, 9}, gen), tgt = randint(3, 13, {3, 7}, gen);
        const Tensor src_pad = key_padding_mask(tensor({9, 5, 2}, DType::Int64), 9);
        const Tensor tgt_pad = key_padding_mask(tensor({7, 7, 3}, DType::Int64), 7);
        RecordAttention record;  // the naive model keeps its weights; the tiled one has none to keep
        const Var a = naive.forward(src, tgt, src_pad, tgt_pad), b = tiled.forward(src, tgt, src_pad, tgt_pad);
        INFO("norm_first ", norm_first);
        CHECK(max_abs_diff(a.data(), b.data()) <= 1e-5);
        sum(a * a).backward(), sum(b * b).backward();
        const auto pa = naive.named_parameters(), pb = tiled.named_parameters();
        for (std::size_t i = 0; i < pa.size(); ++i) {
            INFO(pa[i].first);
            CHECK(max_abs_diff(pa[i].second.grad(), pb[i].second.grad()) <= 1e-4);
        }
        CHECK(naive.attention_weights().encoder_self[0].defined());
        CHECK(tiled.attention_weights().encoder_self[0].defined() == false);
    }
}

TEST_CASE("memory-efficient models: BERT gives the naive one's hidden states") {
    BertConfig c;
    c.vocab_size = 11, c.hidden_size = 8, c.num_hidden_layers = 2, c.num_attention_heads = 2;
    c.intermediate_size = 12, c.max_position_embeddings = 10;
    c.hidden_dropout_prob = c.attention_probs_dropout_prob = 0.0;
    BertConfig tiled_config = c;
    tiled_config.memory_efficient_attention = true;
    Generator g1(7), g2(7);
    BertModel naive(c, g1), tiled(tiled_config, g2);
    Generator gen(8);
    const Tensor ids = randint(0, 11, {2, 10}, gen);
    const Tensor pad = key_padding_mask(tensor({10, 4}, DType::Int64), 10);
    CHECK(max_abs_diff(naive.forward(ids, Tensor(), pad).last_hidden_state.data(),
                       tiled.forward(ids, Tensor(), pad).last_hidden_state.data()) <= 1e-5);
}
