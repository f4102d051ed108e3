// Fused CPU step loops of the layer-normalised LSTM (ln_lstm): forward and hand-written backward over
// time, the math of ln_lstm_loop.py (tested equal). Per step one GEMM (at::mm_out) and one pass per batch
// row over the gate arithmetic, including the three LayerNorms (input 4H, recurrent 4H, cell H) and their
// backward; the LayerNorms' parameter gradients are summed in the backward pass.
//
// Ops (namespace carrousel_cells):
//   ln_lstm_fwd(xw (T,B,4H): W_ih x of every step (read only); bias (4H) b_ih + b_hh; w_hh_t (H,4H);
//               ln_ih_w, ln_ih_b, ln_hh_w, ln_hh_b (4H); ln_c_w, ln_c_b (H); eps; h0, c0; drop?; zh?, zc?; p;
//               keep: False when no backward follows (gates, of which only o is then written, and hw are one
//                 step's scratch, (1,B,4H));
//               w_ih_t (I,4H)?: then xw is x (T,B,I), projected per step into a scratch (no (T,B,4H) W_ih x))
//     -> gates (T,B,4H) activated, hs (T,B,H), cs (T+1,B,H), ct (T,B,H) (empty if p = 0), hw (T,B,4H) = W_hh h_{t-1},
//        stats_hh, stats_c, stats_ih (2,T,B): mean and reciprocal deviation of each LayerNorm
//   ln_lstm_bwd(gates, cs, ct, hw, stats_hh, stats_c, xw, stats_ih, ln_ih_w, w_hh, ln_hh_w, ln_c_w, ln_c_b,
//               drop?, zh?, zc?, p, dhs?, dcs?) -> dxw (T,B,4H) (the gradient of W_ih x),
//               dhw (T,B,4H) (of W_hh h_{t-1}), dln (14H): the gradients of LN_hh's weight and bias (4H
//               each; the bias's is also LN_ih's and the cell bias's), LN_c's weight and bias (H each) and
//               LN_ih's weight (4H), summed over steps and rows; dh0, dc0
#include <ATen/Dispatch.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/mul.h>
#include <ATen/ops/sum.h>
#include <ATen/ops/zeros.h>
#include <torch/library.h>

#include <cmath>
#include <tuple>

#include "cells_common.h"

namespace {

using namespace carrousel_cells_common;  // NOLINT: the shared helpers of both kernels

// rows per group of the backward's parameter-gradient sums (see bwd_kernel)
constexpr int64_t kGroup = 16;

// mean and 1/sqrt(biased variance + eps) of one row in one pass: sums of x - x[0] and of its squares
// (shifting by a value of the row keeps the variance free of cancellation against a large mean), two
// accumulators each so that the adds do not wait on one another (vectorised in pairs of vectors, the
// rest scalar)
template <typename S>
inline void mean_rstd(const S* x, int64_t n, double eps, S& mean, S& rstd) {
  using V = Vectorized<S>;
  constexpr int64_t W = V::size();
  const S k0 = x[0];
  const V vk(k0);
  V s0(S(0)), s1(S(0)), q0(S(0)), q1(S(0));
  int64_t j = 0;
  for (; j + 2 * W <= n; j += 2 * W) {
    const V d0 = V::loadu(x + j) - vk, d1 = V::loadu(x + j + W) - vk;
    s0 = s0 + d0;
    s1 = s1 + d1;
    q0 = q0 + d0 * d0;
    q1 = q1 + d1 * d1;
  }
  S ts = 0, tq = 0;
  for (; j < n; ++j) {
    const S d = x[j] - k0;
    ts += d;
    tq += d * d;
  }
  const double s = double(hsum(s0 + s1) + ts) / n, q = double(hsum(q0 + q1) + tq) / n;
  mean = S(k0 + s);
  rstd = S(1.0 / std::sqrt(std::max(q - s * s, 0.0) + eps));
}

template <typename S>
void fwd_kernel(const Tensor& xsrc, const std::optional<Tensor>& w_ih_t, Tensor& xws, const S* bias, Tensor& gates, const Tensor& w_hh_t, const S* wih, const S* bih,
                const S* whh, const S* bhh, const S* wc, const S* bc, double eps, const Tensor& h0,
                const std::optional<Tensor>& drop, const S* zhp, const S* zcp, double p, Tensor& hs, Tensor& cs,
                Tensor& ct, Tensor& hw, Tensor& st_hh, Tensor& st_c, Tensor& st_ih) {
  using V = Vectorized<S>;
  constexpr int64_t W = V::size();
  const int64_t T = hs.size(0), B = hs.size(1), H = hs.size(2), H4 = 4 * H, BH = B * H;
  const bool zone = p > 0;
  const bool has_drop = drop.has_value() && drop->defined();
  const bool keep_all = hw.size(0) == T;  // a backward follows: every step's gates are kept
  Tensor hin = has_drop ? at::empty({B, H}, h0.options()) : Tensor();
  S* mhh = st_hh.data_ptr<S>();
  S* rhh = mhh + T * B;
  S* mcc = st_c.data_ptr<S>();
  S* rcc = mcc + T * B;
  S* mii = st_ih.data_ptr<S>();
  S* rii = mii + T * B;
  // the buffers are this op's own, contiguous: each step's rows by pointer (a select per buffer and step
  // went through the dispatcher)
  S* Gall = gates.data_ptr<S>();
  const S* HWall = hw.const_data_ptr<S>();
  S* HS = hs.data_ptr<S>();
  S* CS = cs.data_ptr<S>();
  S* CT = zone ? ct.data_ptr<S>() : nullptr;
  const S* H0 = h0.const_data_ptr<S>();
  for (int64_t t = 0; t < T; ++t) {
    const Tensor hprev_t = t == 0 ? h0 : hs[t - 1];
    const int64_t k = keep_all ? t : 0;  // without a backward to come, one step's scratch
    Tensor hw_t = hw[k];
    if (has_drop) {
      at::mul_out(hin, hprev_t, *drop);
      at::mm_out(hw_t, hin, w_hh_t);
    } else {
      at::mm_out(hw_t, hprev_t, w_hh_t);
    }
    S* G = Gall + k * B * H4;
    const S* XWt;  // W_ih x of step t: given, or projected here into a step's scratch (in cache)
    if (w_ih_t.has_value()) {
      at::mm_out(xws, xsrc[t], *w_ih_t);
      XWt = xws.const_data_ptr<S>();
    } else {
      XWt = xsrc.const_data_ptr<S>() + t * B * H4;
    }
    const S* X = HWall + k * B * H4;
    const S* hprev = t == 0 ? H0 : HS + (t - 1) * BH;
    const S* c = CS + t * BH;
    S* cnext = CS + (t + 1) * BH;
    S* cn = zone ? CT + t * BH : cnext;
    S* h = HS + t * BH;
    const S* mh = zhp != nullptr ? zhp + t * BH : nullptr;
    const S* mc = zcp != nullptr ? zcp + t * BH : nullptr;
    rows(B, H4, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const S* x = X + b * H4;
        S* g4 = G + b * H4;
        const S* xw4 = XWt + b * H4;
        S m, r, mi, ri;
        mean_rstd(xw4, H4, eps, mi, ri);
        mii[t * B + b] = mi;
        rii[t * B + b] = ri;
        mean_rstd(x, H4, eps, m, r);
        mhh[t * B + b] = m;
        rhh[t * B + b] = r;
        const V vm(m), vr(r), vmi(mi), vri(ri);
        const int64_t rr = b * H;
        // one pass over the four gates' lanes j, H + j, 2H + j, 3H + j: pre-activations LN_ih(W_ih x) +
        // bias + LN_hh(W_hh h), activations and the cell, with the pre-activations in registers (the gates
        // stored only where a backward follows; o always, for h below)
        for (int64_t j = 0; j < H; j += W) {
          const int64_t n = std::min<int64_t>(W, H - j);
          V a[4];
          for (int64_t q = 0; q < 4; ++q) {
            const int64_t jq = q * H + j;
            V zi = (V::loadu(xw4 + jq, n) - vmi) * vri * V::loadu(wih + jq, n) + V::loadu(bih + jq, n);
            a[q] = zi + V::loadu(bias + jq, n) +
                   ((V::loadu(x + jq, n) - vm) * vr * V::loadu(whh + jq, n) + V::loadu(bhh + jq, n));
          }
          const V i = vsig(a[0]), f = vsig(a[1]), g = vtanh(a[2]), o = vsig(a[3]);
          if (keep_all) {
            i.store(g4 + j, n);
            f.store(g4 + H + j, n);
            g.store(g4 + 2 * H + j, n);
          }
          o.store(g4 + 3 * H + j, n);
          (f * V::loadu(c + rr + j, n) + i * g).store(cn + rr + j, n);
        }
        mean_rstd(cn + rr, H, eps, m, r);
        mcc[t * B + b] = m;
        rcc[t * B + b] = r;
        const V cm(m), cr(r);
        for (int64_t j = 0; j < H; j += W) {
          const int64_t n = std::min<int64_t>(W, H - j);
          V cnew = V::loadu(cn + rr + j, n);
          V yc = (cnew - cm) * cr * V::loadu(wc + j, n) + V::loadu(bc + j, n);
          V hnew = V::loadu(g4 + 3 * H + j, n) * vtanh(yc);
          if (zone) hnew = zoneout_fwd(hnew, cnew, V::loadu(c + rr + j, n), hprev, mh, mc, p, rr + j, n, cnext);
          hnew.store(h + rr + j, n);
        }
      }
    });
  }
}

std::tuple<Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor> ln_lstm_fwd(
    const Tensor& xw_in, const Tensor& bias, const Tensor& w_hh_t, const Tensor& ln_ih_w, const Tensor& ln_ih_b, const Tensor& ln_hh_w, const Tensor& ln_hh_b, const Tensor& ln_c_w,
    const Tensor& ln_c_b, double eps, const Tensor& h0, const Tensor& c0, const std::optional<Tensor>& drop,
    const std::optional<Tensor>& zh, const std::optional<Tensor>& zc, double p, bool keep,
    const std::optional<Tensor>& w_ih_t) {
  TORCH_CHECK(xw_in.dim() == 3, "xw must be a (T, B, 4H) or, with w_ih_t, (T, B, I) tensor");
  const auto wit = cont(w_ih_t);
  const Tensor xw = wit.has_value() ? xw_in : xw_in.contiguous(), bi = bias.contiguous();
  const int64_t T = xw.size(0), B = xw.size(1), H = w_hh_t.size(0);
  auto o = xw.options();
  Tensor xws = wit.has_value() ? at::empty({B, 4 * H}, o) : Tensor();
  const int64_t TK = keep ? T : 1;  // gates and hw of every step only for the backward
  Tensor gates = at::empty({TK, B, 4 * H}, o);
  Tensor hs = at::empty({T, B, H}, o), cs = at::empty({T + 1, B, H}, o);
  Tensor ct = p > 0 ? at::empty({T, B, H}, o) : at::empty({0}, o);
  Tensor hw = at::empty({TK, B, 4 * H}, o);
  Tensor st_hh = at::empty({2, T, B}, o), st_c = at::empty({2, T, B}, o), st_ih = at::empty({2, T, B}, o);
  cs[0].copy_(c0);
  const Tensor whh = ln_hh_w.contiguous(), bhh = ln_hh_b.contiguous(), wc = ln_c_w.contiguous();
  const Tensor bc = ln_c_b.contiguous(), h0c = h0.contiguous(), wih = ln_ih_w.contiguous(), bih = ln_ih_b.contiguous();
  const auto zhc = cont(zh), zcc = cont(zc), dc = cont(drop);
  AT_DISPATCH_FLOATING_TYPES(xw.scalar_type(), "ln_lstm_fwd", [&] {
    using S = scalar_t;
    fwd_kernel<S>(xw, wit, xws, bi.const_data_ptr<S>(), gates, w_hh_t, wih.const_data_ptr<S>(),
                  bih.const_data_ptr<S>(), whh.const_data_ptr<S>(), bhh.const_data_ptr<S>(), wc.const_data_ptr<S>(),
                  bc.const_data_ptr<S>(), eps, h0c, dc, opt_ptr<S>(zhc), opt_ptr<S>(zcc), p, hs, cs, ct, hw, st_hh,
                  st_c, st_ih);
  });
  return {gates, hs, cs, ct, hw, st_hh, st_c, st_ih};
}

template <typename S>
void bwd_kernel(const Tensor& gates, const Tensor& cs, const Tensor& ct, const Tensor& hw, const Tensor& st_hh,
                const Tensor& st_c, const S* xwp, const Tensor& st_ih, const S* wih, Tensor& dxw,
                const Tensor& w_hh, const S* whh, const S* wc, const S* bc, const S* dp,
                const S* zhp, const S* zcp, double p, const S* dhsp, const S* dcsp, Tensor& dz, Tensor& dhw,
                Tensor& dyc, Tensor& acc, Tensor& dh, Tensor& dc) {
  using V = Vectorized<S>;
  constexpr int64_t W = V::size();
  const int64_t T = gates.size(0), B = gates.size(1), H = gates.size(2) / 4, H4 = 4 * H, BH = B * H;
  const bool zone = p > 0;
  const S* Gall = gates.const_data_ptr<S>();
  const S* csp = cs.const_data_ptr<S>();
  const S* ctp = zone ? ct.const_data_ptr<S>() : csp + BH;
  const S* hwp = hw.const_data_ptr<S>();
  const S* mhh = st_hh.const_data_ptr<S>();
  const S* rhh = mhh + T * B;
  const S* mcc = st_c.const_data_ptr<S>();
  const S* rcc = mcc + T * B;
  const S* mii = st_ih.const_data_ptr<S>();
  const S* rii = mii + T * B;
  S* dxwall = dxw.data_ptr<S>();
  S* dzall = dz.data_ptr<S>();
  S* dhwall = dhw.data_ptr<S>();
  S* dycall = dyc.data_ptr<S>();
  S* accall = acc.data_ptr<S>();
  // per group of rows: [dLN_hh.w (4H) | dLN_hh.b (4H) = dLN_ih.b = dbias | dLN_c.w (H) | dLN_c.b (H) | dLN_ih.w (4H)]
  const int64_t NA = acc.size(1);
  init_state_grads(dhsp, dcsp, T, BH, dh, dc);
  Tensor dh2 = at::empty_like(dh), dc2 = at::empty_like(dc);
  for (int64_t t = T - 1; t >= 0; --t) {
    const S* dhp = dh.const_data_ptr<S>();
    const S* dcp = dc.const_data_ptr<S>();
    S* dcn = dc2.data_ptr<S>();
    const S* mh = zhp != nullptr ? zhp + t * BH : nullptr;
    const S* mc = zcp != nullptr ? zcp + t * BH : nullptr;
    const S* dcs_prev = (dcsp != nullptr && t > 0) ? dcsp + (t - 1) * BH : nullptr;
    // in parallel over groups of kGroup rows (a group is always one thread's): each group sums the
    // LayerNorms' parameter gradients of its rows in one row of acc, in a fixed order on any thread count
    const int64_t NG = acc.size(0);
    at::parallel_for(0, NG, std::max<int64_t>(1, 16384 / (kGroup * H4)), [&](int64_t g0, int64_t g1) {
      const V one(S(1));
      for (int64_t b = g0 * kGroup; b < std::min(g1 * kGroup, B); ++b) {
        const int64_t rr = b * H, r4 = (t * B + b) * H4, rt = t * BH + rr;
        const S* g4 = Gall + r4;
        S* d4 = dzall + b * H4;  // this row's gradient of the gates' pre-activations (scratch of the step)
        S* dy = dycall + rr;  // this row's gradient of LN_c's output (scratch of the step)
        S* a_hw = accall + (b / kGroup) * NA;  // its group's sums of the LayerNorms' parameter gradients
        S* a_hb = a_hw + H4;
        S* a_cw = a_hb + H4;
        S* a_cb = a_cw + H;
        S* a_iw = a_cb + H;
        const V cm(mcc[t * B + b]), cr(rcc[t * B + b]);
        // pass 1: dz_o and the gradient of LN_c's output; sums for LN_c's backward
        V s1(S(0)), s2(S(0));
        for (int64_t j = 0; j < H; j += W) {
          const int64_t n = std::min<int64_t>(W, H - j);
          V o = V::loadu(g4 + 3 * H + j, n);
          V dht = V::loadu(dhp + rr + j, n);
          if (zone) dht = dht * (one - keep(mh, rr + j, n, p));
          V xc = (V::loadu(ctp + rt + j, n) - cm) * cr;
          V w = V::loadu(wc + j, n);
          V ty = vtanh(xc * w + V::loadu(bc + j, n));
          (dht * (ty * (o * (one - o)))).store(d4 + 3 * H + j, n);
          V dyv = dht * (o * (one - ty * ty));
          dyv.store(dy + j, n);
          (V::loadu(a_cw + j, n) + dyv * xc).store(a_cw + j, n);
          (V::loadu(a_cb + j, n) + dyv).store(a_cb + j, n);
          V dw = dyv * w;  // zero in the tail lanes (loadu fills them with 0)
          s1 = s1 + dw;
          s2 = s2 + dw * xc;
        }
        const V m1(hsum(s1) / S(H)), m2(hsum(s2) / S(H));
        // pass 2: the cell gradient and dz_i, dz_f, dz_g
        for (int64_t j = 0; j < H; j += W) {
          const int64_t n = std::min<int64_t>(W, H - j);
          V i = V::loadu(g4 + j, n), f = V::loadu(g4 + H + j, n), g = V::loadu(g4 + 2 * H + j, n);
          V xc = (V::loadu(ctp + rt + j, n) - cm) * cr;
          V dcv = V::loadu(dcp + rr + j, n);
          V dct = dcv;
          if (zone) dct = dcv * (one - keep(mc, rr + j, n, p));
          dct = dct + cr * (V::loadu(dy + j, n) * V::loadu(wc + j, n) - m1 - xc * m2);
          V cv = V::loadu(csp + rt + j, n);
          (dct * (g * (i * (one - i)))).store(d4 + j, n);
          (dct * (cv * (f * (one - f)))).store(d4 + H + j, n);
          (dct * (i * (one - g * g))).store(d4 + 2 * H + j, n);
          V dnext = dct * f;
          dnext = carry_cell_grad(dnext, dcv, zone, mc, p, dcs_prev, rr + j, n);
          dnext.store(dcn + rr + j, n);
        }
        // pass 3: the backward of LN_hh (the gradient of W_hh h_{t-1}) and of LN_ih (of W_ih x_t)
        const S* x = hwp + r4;
        const S* xi = xwp + r4;
        const V hm(mhh[t * B + b]), hr(rhh[t * B + b]), im(mii[t * B + b]), ir(rii[t * B + b]);
        V u1(S(0)), u2(S(0)), v1(S(0)), v2(S(0));
        for (int64_t j = 0; j < H4; j += W) {
          const int64_t n = std::min<int64_t>(W, H4 - j);
          const V dzv = V::loadu(d4 + j, n);
          V dw = dzv * V::loadu(whh + j, n);
          u1 = u1 + dw;
          u2 = u2 + dw * ((V::loadu(x + j, n) - hm) * hr);
          V dwi = dzv * V::loadu(wih + j, n);
          v1 = v1 + dwi;
          v2 = v2 + dwi * ((V::loadu(xi + j, n) - im) * ir);
        }
        const V n1(hsum(u1) / S(H4)), n2(hsum(u2) / S(H4));
        const V k1(hsum(v1) / S(H4)), k2(hsum(v2) / S(H4));
        S* dx = dhwall + r4;
        S* dxi = dxwall + r4;
        for (int64_t j = 0; j < H4; j += W) {
          const int64_t n = std::min<int64_t>(W, H4 - j);
          V xh = (V::loadu(x + j, n) - hm) * hr;
          V xhi = (V::loadu(xi + j, n) - im) * ir;
          V dzv = V::loadu(d4 + j, n);
          (hr * (dzv * V::loadu(whh + j, n) - n1 - xh * n2)).store(dx + j, n);
          (ir * (dzv * V::loadu(wih + j, n) - k1 - xhi * k2)).store(dxi + j, n);
          (V::loadu(a_hw + j, n) + dzv * xh).store(a_hw + j, n);
          (V::loadu(a_hb + j, n) + dzv).store(a_hb + j, n);
          (V::loadu(a_iw + j, n) + dzv * xhi).store(a_iw + j, n);
        }
      }
    });
    at::mm_out(dh2, dhw[t], w_hh);  // then * drop + dh_t * zh_t + dhs_{t-1}
    const S* dhs_prev = (dhsp != nullptr && t > 0) ? dhsp + (t - 1) * BH : nullptr;
    recurrent_grad_epilogue(dh2.data_ptr<S>(), BH, dp, zone, dhp, mh, p, dhs_prev);
    std::swap(dh, dh2);
    std::swap(dc, dc2);
  }
}

std::tuple<Tensor, Tensor, Tensor, Tensor, Tensor> ln_lstm_bwd(
    const Tensor& gates, const Tensor& cs, const Tensor& ct, const Tensor& hw, const Tensor& st_hh,
    const Tensor& st_c, const Tensor& xw, const Tensor& st_ih, const Tensor& ln_ih_w, const Tensor& w_hh, const Tensor& ln_hh_w, const Tensor& ln_c_w, const Tensor& ln_c_b,
    const std::optional<Tensor>& drop, const std::optional<Tensor>& zh, const std::optional<Tensor>& zc,
    double p, const std::optional<Tensor>& dhs, const std::optional<Tensor>& dcs) {
  const int64_t B = gates.size(1), H = gates.size(2) / 4;
  Tensor dz = at::empty({B, 4 * H}, gates.options()), dhw = at::empty_like(gates), dxw = at::empty_like(gates);
  Tensor dyc = at::empty({B, H}, gates.options());
  // groups of rows own their sums (each group is one thread's within a step): deterministic on any
  // thread count, and small enough to stay in L1 (one row each: B rows of 14H were read and written back
  // from L2 at every step)
  Tensor acc = at::zeros({(B + kGroup - 1) / kGroup, 14 * H}, gates.options());
  Tensor dh = at::empty({B, H}, gates.options()), dc = at::empty({B, H}, gates.options());
  const Tensor w = w_hh.contiguous(), whh = ln_hh_w.contiguous(), wc = ln_c_w.contiguous();
  const Tensor bc = ln_c_b.contiguous(), xwc = xw.contiguous(), wih = ln_ih_w.contiguous();
  const auto dr = cont(drop), zhc = cont(zh), zcc = cont(zc), dhc = cont(dhs), dcc = cont(dcs);
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "ln_lstm_bwd", [&] {
    using S = scalar_t;
    bwd_kernel<S>(gates, cs, ct, hw, st_hh, st_c, xwc.const_data_ptr<S>(), st_ih, wih.const_data_ptr<S>(), dxw,
                  w, whh.const_data_ptr<S>(), wc.const_data_ptr<S>(),
                  bc.const_data_ptr<S>(), opt_ptr<S>(dr), opt_ptr<S>(zhc), opt_ptr<S>(zcc), p, opt_ptr<S>(dhc),
                  opt_ptr<S>(dcc), dz, dhw, dyc, acc, dh, dc);
  });
  return {dxw, dhw, acc.sum(0), dh, dc};
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(carrousel_cells, m) {
  m.def(
      "ln_lstm_fwd(Tensor xw, Tensor bias, Tensor w_hh_t, Tensor ln_ih_w, Tensor ln_ih_b, Tensor ln_hh_w, "
      "Tensor ln_hh_b, Tensor ln_c_w, Tensor ln_c_b, float eps, Tensor h0, Tensor c0, Tensor? drop, Tensor? zh, "
      "Tensor? zc, float p, bool keep=True, Tensor? w_ih_t=None) -> (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)");
  m.def(
      "ln_lstm_bwd(Tensor gates, Tensor cs, Tensor ct, Tensor hw, Tensor stats_hh, Tensor stats_c, "
      "Tensor xw, Tensor stats_ih, Tensor ln_ih_w, Tensor w_hh, Tensor ln_hh_w, Tensor ln_c_w, Tensor ln_c_b, Tensor? drop, Tensor? zh, Tensor? zc, "
      "float p, Tensor? dhs, Tensor? dcs) -> (Tensor, Tensor, Tensor, Tensor, Tensor)");
}

TORCH_LIBRARY_IMPL(carrousel_cells, CPU, m) {
  m.impl("ln_lstm_fwd", &ln_lstm_fwd);
  m.impl("ln_lstm_bwd", &ln_lstm_bwd);
}
