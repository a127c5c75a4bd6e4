#include "lessons/04_bahdanau_seq2seq/gates.hpp"

#include <cmath>

#include "nn/optim/adam.hpp"
#include "nn/optim/clip.hpp"
#include "nn/optim/sgd.hpp"

namespace qkv::lesson04 {

const char* cell_name(CellKind kind) { return kind == CellKind::Tanh ? "tanh RNN" : "GRU"; }

RecallOptions recall_options(std::uint64_t seed) {
    RecallOptions o;
    o.seed = seed + 3000;
    return o;
}

RecallOptions quick_recall_options(std::uint64_t seed) {
    RecallOptions o = recall_options(seed);
    o.steps = 150;
    return o;
}

Tensor recall_batch(const RecallOptions& o, std::int64_t batch, Generator& gen) {
    std::vector<std::int64_t> ids;
    for (std::int64_t i = 0; i < batch * o.length; ++i)
        ids.push_back(static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(o.symbols))));
    return from_vector(ids, {batch, o.length});  // (B, T)
}

RecallModel::RecallModel(CellKind kind, const RecallOptions& o, Generator& gen)
    : kind_(kind),
      embedding_(o.symbols, o.embed_size, gen),
      tanh_cell_(o.embed_size, o.hidden_size, gen),
      gru_cell_(o.embed_size, o.hidden_size, gen),
      out_(o.hidden_size, o.symbols, gen) {}

RecallModel::Run RecallModel::forward(const Tensor& ids) {
    Run run;
    const Var x = embedding_(ids);  // (B, T, E)
    Var h;                          // undefined: h_0 = 0
    for (std::int64_t t = 0; t < ids.size(1); ++t) {
        const Var x_t = x.select(1, t);  // (B, E)
        if (kind_ == CellKind::Tanh) {
            h = tanh_cell_(x_t, h);  // (B, H)
        } else {
            const nn::GRUGates g = gru_cell_.gates(x_t, h);
            h = g.h;  // (B, H)
            run.update.push_back(g.z);
        }
        run.states.push_back(h);
    }
    run.logits = out_(h);  // (B, V)
    return run;
}

std::vector<Var> RecallModel::parameters() {
    std::vector<Var> p = {embedding_.weight, out_.weight, out_.bias};
    for (const Var& w : (kind_ == CellKind::Tanh ? tanh_cell_.parameters() : gru_cell_.parameters())) p.push_back(w);
    return p;
}

namespace {

double frobenius(const Tensor& g) { return std::sqrt(sum(g.to(DType::Float64) * g.to(DType::Float64)).item()); }

Tensor first_symbol(const Tensor& ids) { return ids.select(1, 0).contiguous(); }  // (B)

double accuracy(RecallModel& model, const Tensor& ids) {
    NoGradGuard no_grad;
    const Tensor predicted = argmax(model.forward(ids).logits.data(), 1);  // (N)
    return sum(eq(predicted, first_symbol(ids)).to(DType::Float64)).item() / static_cast<double>(ids.size(0));
}

}  // namespace

Tensor recall_heldout(const RecallOptions& o) {
    Generator gen(o.seed);
    return recall_batch(o, o.heldout, gen);
}

double gradient_reaching_start(RecallModel& model, const Tensor& ids) {
    const RecallModel::Run run = model.forward(ids);
    run.states.front().retain_grad();
    run.states.back().retain_grad();
    cross_entropy(run.logits, first_symbol(ids)).backward();
    const double last = frobenius(run.states.back().grad());
    for (const Var& p : model.parameters()) p.zero_grad();
    return last > 0 ? frobenius(run.states.front().grad()) / last : 0;
}

RecallResult train_recall(RecallModel& model, const RecallOptions& o) {
    const Tensor heldout = recall_heldout(o);  // (N, T)
    Generator gen(o.seed);
    (void)recall_batch(o, o.heldout, gen);     // the held-out draws: training continues after them
    const Tensor probe = recall_batch(o, o.batch_size, gen);
    RecallResult r;
    r.start_ratio_before = gradient_reaching_start(model, probe);
    nn::Adam opt(model.parameters(), o.lr);
    for (std::int64_t step = 1; step <= o.steps; ++step) {
        const Tensor ids = recall_batch(o, o.batch_size, gen);  // (B, T)
        opt.zero_grad();
        const Var loss = cross_entropy(model.forward(ids).logits, first_symbol(ids));
        loss.backward();
        opt.step();
        r.losses.push_back(loss.item());
    }
    r.start_ratio_after = gradient_reaching_start(model, probe);
    r.accuracy = accuracy(model, heldout);
    return r;
}

SpikeDemo spike_demo(RecallModel& model, const RecallOptions& o, double lr, double max_norm) {
    const Tensor heldout = recall_heldout(o);
    Generator gen(o.seed + 5);
    const Tensor ids = recall_batch(o, o.batch_size, gen);                          // (B, T)
    std::vector<std::int64_t> next;  // every label moved to the next symbol
    for (std::int64_t v : first_symbol(ids).to_vector<std::int64_t>()) next.push_back((v + 1) % o.symbols);
    const Tensor wrong = from_vector(next, {o.batch_size});  // (B)
    const std::vector<Var> params = model.parameters();
    std::vector<Tensor> saved;
    for (const Var& p : params) saved.push_back(p.data().clone());
    nn::SGD sgd(params, lr);
    const auto gradients = [&](const Tensor& targets) {
        sgd.zero_grad();
        cross_entropy(model.forward(ids).logits, targets).backward();
    };
    const double no_limit = 1e30;
    SpikeDemo d;
    d.accuracy_before = accuracy(model, heldout);
    gradients(first_symbol(ids));
    d.clean_norm = nn::clip_grad_norm_(params, no_limit);
    for (const double limit : {no_limit, max_norm}) {
        gradients(wrong);
        d.spike_norm = nn::clip_grad_norm_(params, limit);
        sgd.step();
        (limit == no_limit ? d.accuracy_unclipped : d.accuracy_clipped) = accuracy(model, heldout);
        for (std::size_t i = 0; i < params.size(); ++i) copy_(params[i].data(), saved[i]);  // undo the step
    }
    sgd.zero_grad();
    return d;
}

}  // namespace qkv::lesson04
