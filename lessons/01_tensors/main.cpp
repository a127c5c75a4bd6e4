// Lesson 01: what a tensor is in memory, and the shapes attention multiplies.
// It prints small examples in the order the README explains them; nothing is trained or drawn.
#include <iostream>
#include <string>

#include "lessons/01_tensors/examples.hpp"
#include "lessons/common/cli.hpp"

using namespace qkv;
using namespace qkv::lesson01;

namespace {

void heading(const std::string& title) { std::cout << "\n== " << title << " ==\n"; }

void show(const std::string& name, const Tensor& t) {
    std::cout << name << " = " << t << "\n  " << layout(t) << "\n";
}

void storage_and_strides() {
    heading(lesson::tr("1. storage, shape, strides, offset", "1. 存储、形状、步长、偏移"));
    Tensor x = matrix_2x3();
    show("x", x);
    std::cout << lesson::tr("storage, in memory order:", "存储,按内存顺序:");
    for (float v : x.to_vector<float>()) std::cout << " " << v;  // x is contiguous: row-major = memory order
    std::cout << "\n"
              << lesson::tr("element (i, j) sits at offset + i*3 + j*1, so x[1, 2] is storage[0 + 3 + 2] = storage[5] = ",
                            "元素 (i, j) 位于 offset + i*3 + j*1,所以 x[1, 2] 是 storage[0 + 3 + 2] = storage[5] = ")
              << x.at({1, 2}) << "\n";
}

void free_views() {
    heading(lesson::tr("2. views: transpose and slice copy nothing", "2. 视图:转置和切片不复制任何东西"));
    Tensor x = matrix_2x3();
    Tensor xt = x.t();
    show("x.t()", xt);
    std::cout << lesson::tr("x.t() shares x's storage: ", "x.t() 与 x 共享存储:") << std::boolalpha << xt.shares_storage_with(x)
              << lesson::tr("  (the two strides swapped; xt[2, 1] is storage[2*1 + 1*3] = ",
                            "  (两个步长互换了;xt[2, 1] 是 storage[2*1 + 1*3] = ")
              << xt.at({2, 1}) << ")\n";

    SliceExample s = slice_with_step();
    show("a", s.base);
    show("a.slice(0, 1, 10, 3)", s.every_third);
    std::cout << lesson::tr("a slice moves the offset to start*stride = 1 and multiplies the stride by the step: 1*3 = 3\n",
                            "切片把偏移移到 start*stride = 1,并把步长乘以 step:1*3 = 3\n");
    show("x.slice(1, 1, 3)", x.slice(1, 1, 3));

    WriteThroughExample w = write_through_view();
    std::cout << lesson::tr("row = base.select(0, 1); row.set({2}, 50) writes through the view:\n",
                            "row = base.select(0, 1); row.set({2}, 50) 通过视图写入:\n");
    show("row", w.row);
    show("base", w.base);
}

void reshape_and_copies() {
    heading(lesson::tr("3. reshape: a view when the strides allow it, a copy when they do not",
                       "3. reshape:步长允许时是视图,不允许时是复制"));
    ReshapeExample c = reshape_contiguous();
    show("x.reshape({3, 2})", c.reshaped);
    std::cout << lesson::tr("shares storage with x: ", "与 x 共享存储:") << c.reshaped.shares_storage_with(c.source) << "\n";

    ReshapeExample t = reshape_transposed();
    show("xt = x.t()", t.source);
    show("xt.reshape({6})", t.reshaped);
    std::cout << lesson::tr("shares storage with xt: ", "与 xt 共享存储:") << t.reshaped.shares_storage_with(t.source)
              << lesson::tr("  (row-major order of xt is 0 3 1 4 2 5: no single stride walks that)\n",
                            "  (xt 的行主序是 0 3 1 4 2 5:没有哪个单一步长能走出这个顺序)\n")
              << lesson::tr("xt.view({6}) refuses instead: ", "xt.view({6}) 则直接拒绝:") << view_of_transposed_error() << "\n";

    ReshapeExample m = merge_heads();
    std::cout << lesson::tr("merging attention heads, (B, H, T, d) = (1, 2, 3, 2) -> transpose(1, 2) -> (B, T, H*d):\n",
                            "合并注意力头,(B, H, T, d) = (1, 2, 3, 2) -> transpose(1, 2) -> (B, T, H*d):\n");
    show("by_token", m.source);
    show("by_token.reshape({1, 3, 4})", m.reshaped);
    std::cout << lesson::tr("shares storage: ", "共享存储:") << m.reshaped.shares_storage_with(m.source) << "\n";
}

void broadcasting() {
    heading(lesson::tr("4. broadcasting", "4. 广播"));
    for (const BroadcastPair& p : broadcast_pairs())
        for (const std::string& line : broadcast_steps(p.a, p.b)) std::cout << line << "\n";
    show("col", column_3x1());
    show("row", row_1x4());
    show("col + row", column_3x1() + row_1x4());
    ExpandExample e = expanded_column();
    show("col.expand({3, 4})", e.expanded);
    std::cout << lesson::tr("stride 0 along dim 1: all four columns read col's three floats; shares storage with col: ",
                            "第 1 维步长为 0:四列都读 col 的那三个浮点数;与 col 共享存储:")
              << e.expanded.shares_storage_with(e.column) << "\n"
              << lesson::tr("(elementwise ops broadcast this way: each operand is expanded to the result shape, no copy)\n",
                            "(逐元素运算就这样广播:每个操作数都 expand 到结果形状,不复制)\n");
}

void attention_matmul() {
    heading(lesson::tr("5. batched matmul in attention's shapes: (B, H, T, d) @ (B, H, d, T) -> (B, H, T, T)",
                       "5. 注意力形状下的批量矩阵乘法:(B, H, T, d) @ (B, H, d, T) -> (B, H, T, T)"));
    AttentionShapes a = attention_scores();
    std::cout << "q      " << layout(a.q) << "\n"
              << "k      " << layout(a.k) << "\n"
              << "k^T    " << layout(a.k_t) << lesson::tr("  (shares k's storage: ", "  (与 k 共享存储:") << a.k_t.shares_storage_with(a.k) << ")\n"
              << "scores " << layout(a.scores) << "\n";
    show("q[0, 1]", a.q.select(0, 0).select(0, 1));
    show("k[0, 1]", a.k.select(0, 0).select(0, 1));
    show("scores[0, 1]", a.scores.select(0, 0).select(0, 1));
    std::cout << score_by_hand(a, 0, 1, 2, 0) << "  (scores[0, 1, 2, 0] = " << a.scores.at({0, 1, 2, 0}) << ")\n"
              << lesson::tr("without the transpose: ", "不转置:") << untransposed_matmul_error() << "\n";
}

}  // namespace

static int lesson_main(int argc, char** argv) {
    lesson::LessonArgs args = lesson::parse_lesson_args(
        argc, argv,
        {"01_tensors", "Tensors in memory: storage, shape, strides, offset; views; broadcasting; batched matmul.", 0, {},
         {"threads"}});  // every example is fixed and nothing is written: no --seed, no --out
    if (!args.ok) return args.exit_code;
    std::cout << lesson::tr("Lesson 01: tensors. Every example is small enough to check by hand.\n",
                            "第 01 课:张量。每个例子都小到可以手算核对。\n");
    storage_and_strides();
    free_views();
    reshape_and_copies();
    broadcasting();
    attention_matmul();
    std::cout << lesson::tr("\nThis lesson prints and writes no files.\n", "\n这一课只打印,不写任何文件。\n");
    return 0;
}

int main(int argc, char** argv) { return qkv::lesson::guarded_main(lesson_main, argc, argv); }
