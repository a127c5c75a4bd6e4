#include "lessons/08_vision_and_local_attention/training.hpp"

#include <algorithm>

#include "nn/optim/adam.hpp"
#include "nn/optim/schedule.hpp"

namespace qkv::lesson08 {

TrainResult train_classifier(nn::Module& model, const Forward& forward, const Tensor& inputs, const Tensor& labels,
                             const Tensor& heldout_inputs, const Tensor& heldout_labels, const TrainOptions& options,
                             const std::function<void(std::int64_t, double)>& on_step) {
    const std::int64_t N = inputs.size(0), B = std::min(options.batch_size, N);
    if (labels.size(0) != N) fail("train_classifier", "inputs ", shape_str(inputs.shape()), " and labels ", shape_str(labels.shape()), " differ");
    nn::Adam optimizer(model.named_parameters(), options.lr);
    const auto warmup = static_cast<std::int64_t>(options.warmup_fraction * static_cast<double>(options.steps));
    nn::Scheduler schedule(optimizer, nn::WarmupCosine(options.lr, warmup, options.steps));
    Generator gen(options.seed);
    Tensor order = randperm(N, gen);
    std::int64_t cursor = 0;
    TrainResult result;
    model.train();
    for (std::int64_t step = 1; step <= options.steps; ++step) {
        if (cursor + B > N) order = randperm(N, gen), cursor = 0;  // a new epoch, a new order
        const Tensor idx = order.narrow(0, cursor, B).contiguous();
        cursor += B;
        const Var logits = forward(index_select(inputs, 0, idx));                    // (B, K)
        const Var loss = cross_entropy(logits, index_select(labels, 0, idx));        // ()
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        schedule.step();
        result.steps.push_back(static_cast<double>(step));
        result.loss.push_back(loss.item());
        if (on_step) on_step(step, loss.item());
    }
    result.heldout_accuracy = accuracy(model, forward, heldout_inputs, heldout_labels);
    return result;
}

double accuracy(nn::Module& model, const Forward& forward, const Tensor& inputs, const Tensor& labels) {
    nn::EvalGuard eval(model);  // dropout off; the mode comes back when the scope ends
    NoGradGuard no_grad;
    const std::int64_t N = inputs.size(0), chunk = 50;  // small chunks keep the peak memory low
    std::int64_t correct = 0;
    for (std::int64_t start = 0; start < N; start += chunk) {
        const std::int64_t n = std::min(chunk, N - start);
        const std::vector<std::int64_t> pred =
            argmax(forward(inputs.narrow(0, start, n).contiguous()).data(), -1).to_vector<std::int64_t>();
        const std::vector<std::int64_t> truth = labels.narrow(0, start, n).contiguous().to_vector<std::int64_t>();
        for (std::size_t i = 0; i < pred.size(); ++i) correct += pred[i] == truth[i];
    }
    return static_cast<double>(correct) / static_cast<double>(N);
}

}  // namespace qkv::lesson08
