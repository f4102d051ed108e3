// What the fused step loops of lstm_cells.cpp and ln_lstm_cells.cpp share: the vectorised activations,
// the optional-tensor helpers, the row split, and the parts of the gate pass that do not depend on the
// cell (zoneout's blend in the forward, the recurrent-gradient epilogue of the backward).
//
// native.py tracks this header (its content hash is in the build flags), so a change rebuilds both
// kernels.
#pragma once

#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/cpu/vec/vec.h>

#include <algorithm>
#include <optional>
#include <type_traits>

namespace carrousel_cells_common {

using at::Tensor;
using at::vec::Vectorized;

// exp: float32 takes ATen's exp_u20 (the polynomial of its softmax, 20 ulp; Sleef's 1-ulp exp cost
// about as much as all the other gate arithmetic), with NaN passed through as in torch.exp; float64
// takes the 1-ulp Sleef exp (exp_u20 is exp there), so float64 stays equal to torch's sigmoid/tanh.
template <typename S>
inline Vectorized<S> vexp(const Vectorized<S>& x) {
  if constexpr (std::is_same_v<S, float>) {
    return Vectorized<S>::blendv(x.exp_u20(), x, x.isnan());
  } else {
    return x.exp();
  }
}

template <typename S>
inline Vectorized<S> vsig(const Vectorized<S>& x) {
  const Vectorized<S> one(S(1));
  return one / (one + vexp(x.neg()));
}

// tanh through exp: Sleef's tanh measured about 10x its exp here; absolute error a few ulp of 1
template <typename S>
inline Vectorized<S> vtanh(const Vectorized<S>& x) {
  const Vectorized<S> one(S(1)), two(S(2));
  return one - two / (vexp(x + x) + one);
}

// horizontal sum of one vector
template <typename S>
inline S hsum(const Vectorized<S>& v) {
  S buf[Vectorized<S>::size()];
  v.store(buf);
  S out = 0;
  for (int64_t k = 0; k < Vectorized<S>::size(); ++k) out += buf[k];
  return out;
}

template <typename S>
inline const S* opt_ptr(const std::optional<Tensor>& t) {
  return (t.has_value() && t->defined()) ? t->const_data_ptr<S>() : nullptr;
}

// the contiguous version of an optional tensor (nullopt for none or undefined)
inline std::optional<Tensor> cont(const std::optional<Tensor>& t) {
  return (t.has_value() && t->defined()) ? std::optional<Tensor>(t->contiguous()) : std::nullopt;
}

// rows [b0, b1) of B in parallel chunks of about 16k elements of width H (one thread on small batches)
template <typename F>
inline void rows(int64_t B, int64_t H, const F& f) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(H, 1));
  at::parallel_for(0, B, grain, f);
}

// zoneout's keep probability of n lanes at `off`: the step's mask where one is given, else p (the
// expectation, in evaluation)
template <typename S>
inline Vectorized<S> keep(const S* mask, int64_t off, int64_t n, double p) {
  return mask != nullptr ? Vectorized<S>::loadu(mask + off, n) : Vectorized<S>(S(p));
}

// torch.lerp(a, b, w) as ATen computes it: a + w (b - a) for |w| < 0.5, else b - (b - a)(1 - w), so a
// kept unit (w = 1) is exactly b. `a + w (b - a)` alone gave b - a + a, up to an ulp off b: zoneout's kept
// units drifted from their previous value, as the Python loops' torch.lerp never did
template <typename S>
inline Vectorized<S> vlerp(const Vectorized<S>& a, const Vectorized<S>& b, const Vectorized<S>& w) {
  const Vectorized<S> one(S(1)), half(S(0.5));
  const Vectorized<S> d = b - a;
  return Vectorized<S>::blendv(a + w * d, b - d * (one - w), w.abs() >= half);
}

// zoneout in the forward pass: h <- lerp(h, h_prev, kh) (returned), c_next <- lerp(c, c_prev, kc) (stored)
template <typename S>
inline Vectorized<S> zoneout_fwd(Vectorized<S> hnew, const Vectorized<S>& cnew, const Vectorized<S>& cprev,
                                 const S* hprev, const S* mh, const S* mc, double p, int64_t off, int64_t n,
                                 S* cnext) {
  using V = Vectorized<S>;
  hnew = vlerp(hnew, V::loadu(hprev + off, n), keep(mh, off, n, p));
  vlerp(cnew, cprev, keep(mc, off, n, p)).store(cnext + off, n);
  return hnew;
}

// the cell gradient carried to step t-1: dnext (through f and the peepholes) + dc_t kc (zoneout) + dcs[t-1]
template <typename S>
inline Vectorized<S> carry_cell_grad(Vectorized<S> dnext, const Vectorized<S>& dcv, bool zone, const S* mc,
                                     double p, const S* dcs_prev, int64_t off, int64_t n) {
  if (zone) dnext = dnext + dcv * keep(mc, off, n, p);
  if (dcs_prev != nullptr) dnext = dnext + Vectorized<S>::loadu(dcs_prev + off, n);
  return dnext;
}

// the incoming state gradients of the last step: dhs[T-1] and dcs[T-1], or zeros
template <typename S>
inline void init_state_grads(const S* dhsp, const S* dcsp, int64_t T, int64_t BH, Tensor& dh, Tensor& dc) {
  if (dhsp != nullptr) std::copy(dhsp + (T - 1) * BH, dhsp + T * BH, dh.data_ptr<S>()); else dh.zero_();
  if (dcsp != nullptr) std::copy(dcsp + (T - 1) * BH, dcsp + T * BH, dc.data_ptr<S>()); else dc.zero_();
}

// dh_{t-1} = (dz_t @ W_hh) * drop + dh_t * zh_t + dhs_{t-1}, in place on out (B*H values) = dz_t @ W_hh;
// dhp is dh_t, mh zoneout's mask of step t (or null: p), dhs_prev dhs[t-1] (or null)
template <typename S>
inline void recurrent_grad_epilogue(S* out, int64_t BH, const S* dp, bool zone, const S* dhp, const S* mh,
                                    double p, const S* dhs_prev) {
  using V = Vectorized<S>;
  constexpr int64_t W = V::size();
  if (dp == nullptr && !zone && dhs_prev == nullptr) return;
  for (int64_t k = 0; k < BH; k += W) {
    const int64_t n = std::min<int64_t>(W, BH - k);
    V v = V::loadu(out + k, n);
    if (dp != nullptr) v = v * V::loadu(dp + k, n);
    if (zone) v = v + V::loadu(dhp + k, n) * keep(mh, k, n, p);
    if (dhs_prev != nullptr) v = v + V::loadu(dhs_prev + k, n);
    v.store(out + k, n);
  }
}

}  // namespace carrousel_cells_common
