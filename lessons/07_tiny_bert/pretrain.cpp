#include "lessons/07_tiny_bert/pretrain.hpp"

#include <map>

#include "nn/optim/adam.hpp"
#include "nn/optim/clip.hpp"
#include "nn/optim/schedule.hpp"

namespace qkv::lesson07 {

nn::BertConfig tiny_bert_config(std::int64_t vocab_size) {
    nn::BertConfig c;
    c.vocab_size = vocab_size;
    c.hidden_size = 64;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.intermediate_size = 256;
    c.max_position_embeddings = 32;
    c.initializer_range = 0.05;  // BERT's 0.02 is for width 768; a width-64 model learns faster from 0.05
    c.hidden_dropout_prob = 0.0;
    c.attention_probs_dropout_prob = 0.0;
    return c;
}

nn::BertForPreTraining make_tiny_bert(std::int64_t vocab_size, std::uint64_t seed) {
    Generator gen(seed);
    return nn::BertForPreTraining(tiny_bert_config(vocab_size), gen);
}

PretrainCurves pretrain(nn::BertForPreTraining& model, const LessonData& data, const PretrainOptions& options,
                        const std::function<void(std::int64_t, double, double)>& on_step) {
    const nn::Vocab& vocab = data.tokenizer.vocab();
    Generator pair_gen(options.seed * 3 + 11), mask_gen(options.seed * 3 + 12);
    nn::AdamW optimizer(model.named_parameters(), options.lr, {0.9, 0.999}, 1e-6, options.weight_decay);
    const auto warmup = static_cast<std::int64_t>(options.warmup_fraction * static_cast<double>(options.steps));
    nn::Scheduler scheduler(optimizer, nn::WarmupLinear(options.lr, warmup, options.steps));
    const std::vector<Var> params = model.parameters();
    model.train();

    PretrainCurves curves;
    const std::string run = cat("07 pretraining steps=", options.steps, " batch=", options.batch_size, " lr=", options.lr,
                                " warmup=", options.warmup_fraction, " wd=", options.weight_decay,
                                " clip=", options.clip_norm, " seed=", options.seed, " vocab=", vocab.size());
    lesson::RunCheckpoint checkpoint(options.checkpoint, model, optimizer, {{"pairs", &pair_gen}, {"masks", &mask_gen}},
                                     {{"steps", &curves.steps}, {"mlm_loss", &curves.mlm_loss}, {"nsp_loss", &curves.nsp_loss}},
                                     run);
    for (std::int64_t step = checkpoint.first_step(); step <= options.steps; ++step) {
        std::vector<SentencePair> pairs;
        for (std::int64_t i = 0; i < options.batch_size; ++i) pairs.push_back(sample_pair(data.train, pair_gen));
        const Batch batch = make_pair_batch(pairs, vocab);
        const nn::MaskedTokens masked = options.mask_tokens ? options.mask_tokens(batch.input_ids, vocab, mask_gen)
                                                            : nn::mask_tokens(batch.input_ids, vocab, mask_gen);

        optimizer.zero_grad();
        // model.forward would score every position; the loss needs only the chosen ones, so the
        // MLM head runs on those alone (the same number as masked_lm_loss on the full logits).
        const nn::BertOutput out = model.bert.forward(masked.input_ids, batch.token_type_ids, batch.padding_mask);
        const Var mlm = options.mlm_loss
                            ? options.mlm_loss(model.mlm_head(out.last_hidden_state), masked.targets, masked.chosen)
                            : nn::masked_lm_loss_at_chosen(model, out.last_hidden_state, masked.targets, masked.chosen);
        const Var nsp = nn::next_sentence_loss(model.seq_relationship(out.pooler_output), batch.is_random_next);
        (mlm + nsp).backward();  // BERT's loss is the plain sum of the two
        nn::clip_grad_norm_(params, options.clip_norm);
        optimizer.step();
        scheduler.step();

        curves.steps.push_back(static_cast<double>(step));
        curves.mlm_loss.push_back(mlm.item());
        curves.nsp_loss.push_back(nsp.item());
        if (on_step) on_step(step, mlm.item(), nsp.item());
        if (!checkpoint.after_step(step, options.steps)) break;
    }
    return curves;
}

HeldoutPairs make_heldout_pairs(const LessonData& data, std::int64_t count, std::uint64_t seed) {
    Generator pair_gen(seed * 3 + 21), mask_gen(seed * 3 + 22);
    std::vector<SentencePair> pairs;
    for (std::int64_t i = 0; i < count; ++i) pairs.push_back(sample_pair(data.heldout, pair_gen));
    Batch batch = make_pair_batch(pairs, data.tokenizer.vocab());
    nn::MaskedTokens masked = nn::mask_tokens(batch.input_ids, data.tokenizer.vocab(), mask_gen);
    return HeldoutPairs{std::move(batch), std::move(masked)};
}

std::vector<bool> fact_words(const nn::Vocab& vocab) {
    std::vector<bool> is_fact(static_cast<std::size_t>(vocab.size()), false);
    for (const Animal& a : animals())
        for (const std::string& w : {a.singular, a.plural, a.sound_s, a.sound_p, a.food, a.home})
            if (const auto id = vocab.find(w)) is_fact[static_cast<std::size_t>(*id)] = true;
    return is_fact;
}

std::int64_t most_frequent_token(const TokenizedCorpus& corpus) {
    std::map<std::int64_t, std::int64_t> counts;
    for (const auto& doc : corpus.sentences)
        for (const Ids& s : doc)
            for (std::int64_t id : s) ++counts[id];
    std::int64_t best = -1, best_count = -1;
    for (const auto& [id, n] : counts)
        if (n > best_count) best = id, best_count = n;
    return best;
}

PretrainMetrics evaluate_pretraining(nn::BertForPreTraining& model, const LessonData& data,
                                     const HeldoutPairs& heldout) {
    nn::EvalGuard eval(model);  // dropout off; the mode comes back when the scope ends
    NoGradGuard no_grad;
    const std::int64_t baseline = most_frequent_token(data.train);
    const std::int64_t N = heldout.batch.input_ids.size(0);
    const std::int64_t chunk = 250;

    PretrainMetrics m;
    m.baseline_token = data.tokenizer.vocab().token(baseline);
    const std::int64_t mask_id = data.tokenizer.vocab().mask_id();
    std::int64_t correct = 0, baseline_correct = 0, nsp_correct = 0;
    std::int64_t n_kind[3] = {0, 0, 0}, c_kind[3] = {0, 0, 0};  // [MASK], random, kept
    std::int64_t fact_correct = 0;
    const std::vector<bool> is_fact = fact_words(data.tokenizer.vocab());
    double loss_sum = 0;
    for (std::int64_t start = 0; start < N; start += chunk) {
        const std::int64_t n = std::min(chunk, N - start);
        const Tensor ids = heldout.masked.input_ids.narrow(0, start, n).contiguous();
        const Tensor targets = heldout.masked.targets.narrow(0, start, n).contiguous();
        const Tensor chosen = heldout.masked.chosen.narrow(0, start, n).contiguous();
        const nn::PreTrainingOutput out = model.forward(ids, heldout.batch.token_type_ids.narrow(0, start, n).contiguous(),
                                                        heldout.batch.padding_mask.narrow(0, start, n).contiguous());
        const double n_chosen = sum(chosen.to(DType::Int64)).item();
        if (n_chosen > 0) loss_sum += nn::masked_lm_loss(out.mlm_logits, targets, chosen).item() * n_chosen;  // the mean, back to a sum
        const std::vector<std::int64_t> pred = argmax(out.mlm_logits.data(), -1).to_vector<std::int64_t>();
        const std::vector<std::int64_t> tgt = targets.to_vector<std::int64_t>();
        const std::vector<std::int64_t> shown = ids.to_vector<std::int64_t>();
        const std::vector<std::uint8_t> ch = chosen.to_vector<std::uint8_t>();
        for (std::size_t i = 0; i < tgt.size(); ++i) {
            if (!ch[i]) continue;
            ++m.chosen_positions;
            const bool ok = pred[i] == tgt[i];
            correct += ok;
            baseline_correct += tgt[i] == baseline;
            // (A random replacement that drew the original token counts as kept: it is what the model saw.)
            const int kind = shown[i] == mask_id ? 0 : shown[i] != tgt[i] ? 1 : 2;
            ++n_kind[kind];
            c_kind[kind] += ok;
            if (is_fact[static_cast<std::size_t>(tgt[i])]) ++m.fact_positions, fact_correct += ok;
        }
        const std::vector<std::int64_t> nsp_pred = argmax(out.nsp_logits.data(), -1).to_vector<std::int64_t>();
        const std::vector<std::int64_t> nsp_true =
            heldout.batch.is_random_next.narrow(0, start, n).to_vector<std::int64_t>();
        for (std::size_t i = 0; i < nsp_pred.size(); ++i) nsp_correct += nsp_pred[i] == nsp_true[i];
    }
    if (m.chosen_positions == 0)
        fail("evaluate_pretraining", "the ", N, " held-out pairs have no chosen positions to score");
    auto ratio = [](std::int64_t a, std::int64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; };
    m.mlm_accuracy = ratio(correct, m.chosen_positions);
    m.baseline_accuracy = ratio(baseline_correct, m.chosen_positions);
    m.mlm_loss = loss_sum / static_cast<double>(m.chosen_positions);
    m.nsp_accuracy = ratio(nsp_correct, N);
    m.accuracy_masked = ratio(c_kind[0], n_kind[0]);
    m.accuracy_random = ratio(c_kind[1], n_kind[1]);
    m.accuracy_kept = ratio(c_kind[2], n_kind[2]);
    m.fact_accuracy = ratio(fact_correct, m.fact_positions);
    return m;
}

}  // namespace qkv::lesson07
