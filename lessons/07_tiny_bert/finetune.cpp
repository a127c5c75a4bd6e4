#include "lessons/07_tiny_bert/finetune.hpp"

#include <numeric>

#include "nn/optim/adam.hpp"
#include "nn/optim/clip.hpp"
#include "nn/optim/schedule.hpp"

namespace qkv::lesson07 {

LabelledSentences make_consistency_set(const nn::BertTokenizer& tokenizer, std::int64_t count, Generator& gen) {
    LabelledSentences set;
    for (std::int64_t i = 0; i < count; ++i) {
        const bool consistent = i % 2 == 0;
        const Sentence s = consistent ? make_true_sentence(gen) : make_false_sentence(gen);
        set.texts.push_back(s.text);
        set.ids.push_back(tokenizer.encode(s.text));
        set.labels.push_back(consistent ? 1 : 0);
    }
    return set;
}

namespace {

// The rows `rows` of `set` as one batch.
Batch select_batch(const LabelledSentences& set, const std::vector<std::int64_t>& rows, const nn::Vocab& vocab,
                   Tensor* labels) {
    std::vector<Ids> sentences;
    std::vector<std::int64_t> y;
    for (std::int64_t r : rows) {
        sentences.push_back(set.ids[static_cast<std::size_t>(r)]);
        y.push_back(set.labels[static_cast<std::size_t>(r)]);
    }
    *labels = from_vector(y);
    return make_single_batch(sentences, vocab);
}

}  // namespace

double classification_accuracy(nn::BertForSequenceClassification& model, const LabelledSentences& set,
                               const nn::Vocab& vocab) {
    nn::EvalGuard eval(model);  // dropout off; the mode comes back when the scope ends
    NoGradGuard no_grad;
    const auto n = static_cast<std::int64_t>(set.ids.size());
    std::int64_t correct = 0;
    for (std::int64_t start = 0; start < n; start += 250) {
        std::vector<std::int64_t> rows(static_cast<std::size_t>(std::min<std::int64_t>(250, n - start)));
        std::iota(rows.begin(), rows.end(), start);
        Tensor labels;
        const Batch b = select_batch(set, rows, vocab, &labels);
        const std::vector<std::int64_t> pred =
            argmax(model.forward(b.input_ids, b.token_type_ids, b.padding_mask).data(), -1).to_vector<std::int64_t>();
        const std::vector<std::int64_t> truth = labels.to_vector<std::int64_t>();
        for (std::size_t i = 0; i < pred.size(); ++i) correct += pred[i] == truth[i];
    }
    return n ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
}

FinetuneRun finetune(const nn::BertConfig& config, nn::BertForPreTraining* pretrained, const LabelledSentences& train,
                     const LabelledSentences& eval, const nn::Vocab& vocab, const FinetuneOptions& options,
                     std::uint64_t seed) {
    Generator init_gen(seed * 7 + 101), batch_gen(seed * 7 + 102);
    nn::BertForSequenceClassification model(config, 2, init_gen);
    if (pretrained) model.load_pretrained(*pretrained);
    nn::AdamW optimizer(model.named_parameters(), options.lr, {0.9, 0.999}, 1e-6, options.weight_decay);
    const auto warmup = static_cast<std::int64_t>(options.warmup_fraction * static_cast<double>(options.steps));
    nn::Scheduler scheduler(optimizer, nn::WarmupLinear(options.lr, warmup, options.steps));
    const std::vector<Var> params = model.parameters();

    FinetuneRun run;
    auto evaluate = [&](std::int64_t step) {
        run.eval_steps.push_back(static_cast<double>(step));
        run.eval_accuracy.push_back(classification_accuracy(model, eval, vocab));
    };
    evaluate(0);
    model.train();
    const auto n = static_cast<std::int64_t>(train.ids.size());
    std::vector<std::int64_t> order;  // epochs of shuffled rows, consumed batch by batch
    for (std::int64_t step = 1; step <= options.steps; ++step) {
        std::vector<std::int64_t> rows;
        while (static_cast<std::int64_t>(rows.size()) < options.batch_size) {
            if (order.empty()) order = randperm(n, batch_gen).to_vector<std::int64_t>();
            rows.push_back(order.back());
            order.pop_back();
        }
        Tensor labels;
        const Batch b = select_batch(train, rows, vocab, &labels);
        optimizer.zero_grad();
        const Var loss = cross_entropy(model.forward(b.input_ids, b.token_type_ids, b.padding_mask), labels);
        loss.backward();
        nn::clip_grad_norm_(params, 1.0);
        optimizer.step();
        scheduler.step();
        run.train_loss.push_back(loss.item());
        if (step % options.eval_every == 0 || step == options.steps) evaluate(step);
    }
    run.final_accuracy = run.eval_accuracy.back();
    return run;
}

FinetuneComparison compare_finetuning(const nn::BertConfig& config, nn::BertForPreTraining& pretrained,
                                      const nn::BertTokenizer& tokenizer, const FinetuneOptions& options,
                                      std::uint64_t seed,
                                      const std::function<void(const std::string&, std::uint64_t, const FinetuneRun&)>&
                                          on_run) {
    FinetuneComparison c;
    Generator eval_gen(seed * 5 + 1001);
    c.eval = make_consistency_set(tokenizer, options.eval_examples, eval_gen);
    for (std::int64_t k = 0; k < options.seeds; ++k) {
        const std::uint64_t s = seed + static_cast<std::uint64_t>(k);
        Generator train_gen(s * 5 + 1002);
        const LabelledSentences train = make_consistency_set(tokenizer, options.train_examples, train_gen);
        c.pretrained.push_back(finetune(config, &pretrained, train, c.eval, tokenizer.vocab(), options, s));
        if (on_run) on_run("pre-trained", s, c.pretrained.back());
        c.scratch.push_back(finetune(config, nullptr, train, c.eval, tokenizer.vocab(), options, s));
        if (on_run) on_run("scratch", s, c.scratch.back());
    }
    for (std::size_t k = 0; k < c.pretrained.size(); ++k) {
        c.mean_pretrained += c.pretrained[k].final_accuracy / static_cast<double>(c.pretrained.size());
        c.mean_scratch += c.scratch[k].final_accuracy / static_cast<double>(c.scratch.size());
    }
    return c;
}

}  // namespace qkv::lesson07
