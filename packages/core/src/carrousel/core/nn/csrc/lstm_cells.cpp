// Fused CPU step loops of the (peephole, zoneout, recurrent-dropout) LSTM: forward and hand-written
// backward over time, compiled once by carrousel.core.nn.native (torch.utils.cpp_extension.load).
//
// Per step: one at::addmm_ / at::mm_out for the recurrent GEMM, then ONE pass over raw pointers for the
// gate arithmetic, vectorised with at::vec::Vectorized (sigmoid and tanh from exp, see vexp in cells_common.h). Gates are
// in PyTorch's order i, f, g, o. The math is the one of lstm_loop.py (tested equal).
//
// Ops (namespace carrousel_cells):
//   lstm_fwd(gates (T,B,4H) the input projection W_ih x of every step, overwritten with the activated
//            gates; bias (4H) b_ih + b_hh, added in the pass (an addmm would cost a copy pass);
//            w_hh_t (H,4H); peephole (3,H)?; h0, c0 (B,H); drop (B,H)?; zh, zc (T,B,H)?; p)
//            -> hs (T,B,H), cs (T+1,B,H) (cs[0] = c0), ct (T,B,H) new cell before zoneout (empty if p=0)
//   lstm_fwd_infer(x (T,B,I), w_ih_t (I,4H), bias, w_hh_t, peephole?, h0, c0, drop?, zh?, zc?, p)
//            -> hs, cs as lstm_fwd: the forward where no backward follows (one step of gates in a scratch,
//            W_ih x projected per step, nothing kept for a backward)
//   lstm_bwd(gates, cs, ct, w_hh (4H,H), peephole?, drop?, zh?, zc?, p, dhs?, dcs?)
//            -> dz (T,B,4H) pre-activation gradients, dh0, dc0 (B,H)
//   bernoulli_mask(seed, size, p, dtype) -> 0/1 tensor, P(1) = p (the zoneout and recurrent-dropout masks;
//            torch.bernoulli measured about 10x the time of this)
#include <ATen/Dispatch.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/mul.h>
#include <torch/library.h>

#include <tuple>

#include "cells_common.h"

namespace {

using namespace carrousel_cells_common;  // NOLINT: the shared helpers of both kernels

// up to this many inputs the inference pass projects W_ih x itself (I FMAs per gate lane); above, a GEMM
constexpr int64_t kInPassInputs = 16;

// The gate pass of one step over rows [b0, b1): G (B,4H) holds W_ih x + W_hh h_{t-1} without the bias, or,
// with xp (B,I) and wih (I,4H), W_hh h_{t-1} alone and W_ih x is added here (small I: I FMAs per gate lane
// in registers instead of a GEMM call per step). KEEP: the backward follows, so the activated gates are
// stored back into G and the new cell before zoneout into cn; without it nothing but h and c is written.
template <typename S, bool KEEP>
inline void gate_rows(int64_t b0, int64_t b1, int64_t H, S* G, const S* xp, const S* wih, int64_t I,
                      const S* bias, const S* pp, const S* hprev, const S* c, S* cnext, S* cn, S* h,
                      const S* mh, const S* mc, double p) {
  using V = Vectorized<S>;
  constexpr int64_t W = V::size();
  const bool zone = p > 0;
  const int64_t H4 = 4 * H;
  for (int64_t b = b0; b < b1; ++b) {
    S* gi = G + b * H4;
    S* gf = gi + H;
    S* gg = gi + 2 * H;
    S* go = gi + 3 * H;
    const S* xb = xp != nullptr ? xp + b * I : nullptr;
    // W_ih x of gate lanes [off, off + n): the FMA chain over k (the order of a GEMM's inner product)
    auto proj = [&](int64_t off, int64_t n) {
      V a(S(0));
      for (int64_t k = 0; k < I; ++k) a = at::vec::fmadd(V(xb[k]), V::loadu(wih + k * H4 + off, n), a);
      return a;
    };
    auto pre = [&](const S* gp, int64_t q, int64_t j, int64_t n) {  // gate q's pre-activation without peephole
      V z = V::loadu(gp + j, n);
      if (xb != nullptr) z = proj(q * H + j, n) + z;
      return z + V::loadu(bias + q * H + j, n);
    };
    const int64_t r = b * H;
    for (int64_t j = 0; j < H; j += W) {
      const int64_t n = std::min<int64_t>(W, H - j);
      V cv = V::loadu(c + r + j, n);
      V zi = pre(gi, 0, j, n);
      V zf = pre(gf, 1, j, n);
      if (pp != nullptr) {
        zi = zi + V::loadu(pp + j, n) * cv;
        zf = zf + V::loadu(pp + H + j, n) * cv;
      }
      V i = vsig(zi), f = vsig(zf), g = vtanh(pre(gg, 2, j, n));
      V cnew = f * cv + i * g;
      V zo = pre(go, 3, j, n);
      if (pp != nullptr) zo = zo + V::loadu(pp + 2 * H + j, n) * cnew;
      V o = vsig(zo);
      V hnew = o * vtanh(cnew);
      if constexpr (KEEP) {
        i.store(gi + j, n);
        f.store(gf + j, n);
        g.store(gg + j, n);
        o.store(go + j, n);
        cnew.store(cn + r + j, n);
      } else if (!zone) {
        cnew.store(cnext + r + j, n);
      }
      if (zone) hnew = zoneout_fwd(hnew, cnew, cv, hprev, mh, mc, p, r + j, n, cnext);
      hnew.store(h + r + j, n);
    }
  }
}

// h_{t-1} (times the dropout mask, into hin) for the recurrent GEMM
inline const Tensor& recurrent_input(const Tensor& hprev, const std::optional<Tensor>& drop, Tensor& hin) {
  if (!(drop.has_value() && drop->defined())) return hprev;
  at::mul_out(hin, hprev, *drop);
  return hin;
}

template <typename S>
void fwd_kernel(Tensor& gates, const S* bias, const Tensor& w_hh_t, const std::optional<Tensor>& peephole,
                const Tensor& h0, const Tensor& c0, const std::optional<Tensor>& drop,
                const std::optional<Tensor>& zh, const std::optional<Tensor>& zc, double p, Tensor& hs,
                Tensor& cs, Tensor& ct) {
  const int64_t T = gates.size(0), B = gates.size(1), H = hs.size(2);
  const S* pp = opt_ptr<S>(peephole);
  const S* zhp = opt_ptr<S>(zh);
  const S* zcp = opt_ptr<S>(zc);
  const bool zone = p > 0;
  Tensor hin = drop.has_value() && drop->defined() ? at::empty({B, H}, h0.options()) : Tensor();
  cs[0].copy_(c0);
  for (int64_t t = 0; t < T; ++t) {
    const Tensor hprev_t = t == 0 ? h0 : hs[t - 1];
    Tensor g_t = gates[t];
    g_t.addmm_(recurrent_input(hprev_t, drop, hin), w_hh_t);
    S* G = g_t.data_ptr<S>();
    const S* hprev = hprev_t.const_data_ptr<S>();
    const S* c = cs[t].const_data_ptr<S>();
    S* cnext = cs[t + 1].data_ptr<S>();
    S* cn = zone ? ct[t].data_ptr<S>() : cnext;
    S* h = hs[t].data_ptr<S>();
    const S* mh = zhp != nullptr ? zhp + t * B * H : nullptr;
    const S* mc = zcp != nullptr ? zcp + t * B * H : nullptr;
    rows(B, H, [&](int64_t b0, int64_t b1) {
      gate_rows<S, true>(b0, b1, H, G, nullptr, nullptr, 0, bias, pp, hprev, c, cnext, cn, h, mh, mc, p);
    });
  }
}

// The forward without a backward to follow: one step of gates in a scratch (in cache), W_ih x projected
// step by step (in the pass for small I, else one GEMM per step into the scratch), no activated gates or
// cells before zoneout kept.
template <typename S>
void infer_kernel(const Tensor& x, const Tensor& w_ih_t, const S* bias, const Tensor& w_hh_t,
                  const std::optional<Tensor>& peephole, const Tensor& h0, const std::optional<Tensor>& drop,
                  const std::optional<Tensor>& zh, const std::optional<Tensor>& zc, double p, Tensor& hs,
                  Tensor& cs) {
  const int64_t T = x.size(0), B = x.size(1), I = x.size(2), H = hs.size(2);
  const S* pp = opt_ptr<S>(peephole);
  const S* zhp = opt_ptr<S>(zh);
  const S* zcp = opt_ptr<S>(zc);
  const bool in_pass = I <= kInPassInputs;
  const S* wih = w_ih_t.const_data_ptr<S>();
  Tensor hin = drop.has_value() && drop->defined() ? at::empty({B, H}, h0.options()) : Tensor();
  Tensor g_t = at::empty({B, 4 * H}, x.options());
  S* G = g_t.data_ptr<S>();
  for (int64_t t = 0; t < T; ++t) {
    const Tensor hprev_t = t == 0 ? h0 : hs[t - 1];
    const Tensor& hr = recurrent_input(hprev_t, drop, hin);
    if (in_pass) {
      at::mm_out(g_t, hr, w_hh_t);
    } else {
      at::mm_out(g_t, x[t], w_ih_t);
      g_t.addmm_(hr, w_hh_t);
    }
    const S* xp = in_pass ? x.const_data_ptr<S>() + t * B * I : nullptr;
    const S* hprev = hprev_t.const_data_ptr<S>();
    const S* c = cs[t].const_data_ptr<S>();
    S* cnext = cs[t + 1].data_ptr<S>();
    S* h = hs[t].data_ptr<S>();
    const S* mh = zhp != nullptr ? zhp + t * B * H : nullptr;
    const S* mc = zcp != nullptr ? zcp + t * B * H : nullptr;
    rows(B, H, [&](int64_t b0, int64_t b1) {
      gate_rows<S, false>(b0, b1, H, G, xp, wih, I, bias, pp, hprev, c, cnext, nullptr, h, mh, mc, p);
    });
  }
}

std::tuple<Tensor, Tensor, Tensor> lstm_fwd(Tensor gates, const Tensor& bias, const Tensor& w_hh_t,
                                            const std::optional<Tensor>& peephole, const Tensor& h0,
                                            const Tensor& c0, const std::optional<Tensor>& drop,
                                            const std::optional<Tensor>& zh,
                                            const std::optional<Tensor>& zc, double p) {
  TORCH_CHECK(gates.is_contiguous() && gates.dim() == 3, "gates must be a contiguous (T, B, 4H) tensor");
  const int64_t T = gates.size(0), B = gates.size(1), H = gates.size(2) / 4;
  Tensor hs = at::empty({T, B, H}, gates.options());
  Tensor cs = at::empty({T + 1, B, H}, gates.options());
  Tensor ct = p > 0 ? at::empty({T, B, H}, gates.options()) : at::empty({0}, gates.options());
  const Tensor h0c = h0.contiguous(), c0c = c0.contiguous(), bc = bias.contiguous();
  const auto zhc = cont(zh), zcc = cont(zc), pc = cont(peephole);
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "lstm_fwd", [&] {
    fwd_kernel<scalar_t>(gates, bc.const_data_ptr<scalar_t>(), w_hh_t, pc, h0c, c0c, drop, zhc, zcc, p, hs, cs, ct);
  });
  return {hs, cs, ct};
}

std::tuple<Tensor, Tensor> lstm_fwd_infer(const Tensor& x, const Tensor& w_ih_t, const Tensor& bias,
                                         const Tensor& w_hh_t, const std::optional<Tensor>& peephole,
                                         const Tensor& h0, const Tensor& c0, const std::optional<Tensor>& drop,
                                         const std::optional<Tensor>& zh, const std::optional<Tensor>& zc,
                                         double p) {
  TORCH_CHECK(x.dim() == 3, "x must be a (T, B, I) tensor");
  const Tensor xc = x.contiguous(), wit = w_ih_t.contiguous(), bc = bias.contiguous();
  const int64_t T = xc.size(0), B = xc.size(1), H = w_hh_t.size(0);
  Tensor hs = at::empty({T, B, H}, xc.options());
  Tensor cs = at::empty({T + 1, B, H}, xc.options());
  cs[0].copy_(c0);
  const Tensor h0c = h0.contiguous();
  const auto zhc = cont(zh), zcc = cont(zc), pc = cont(peephole);
  AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "lstm_fwd_infer", [&] {
    infer_kernel<scalar_t>(xc, wit, bc.const_data_ptr<scalar_t>(), w_hh_t, pc, h0c, drop, zhc, zcc, p, hs, cs);
  });
  return {hs, cs};
}

template <typename S>
void bwd_kernel(const Tensor& gates, const Tensor& cs, const Tensor& ct, const Tensor& w_hh,
                const std::optional<Tensor>& peephole, const std::optional<Tensor>& drop,
                const std::optional<Tensor>& zh, const std::optional<Tensor>& zc, double p,
                const std::optional<Tensor>& dhs, const std::optional<Tensor>& dcs, Tensor& dz, Tensor& dh,
                Tensor& dc) {
  using V = Vectorized<S>;
  constexpr int64_t W = V::size();
  const int64_t T = gates.size(0), B = gates.size(1), H = gates.size(2) / 4;
  const S* pp = opt_ptr<S>(peephole);
  const S* dp = opt_ptr<S>(drop);
  const S* zhp = opt_ptr<S>(zh);
  const S* zcp = opt_ptr<S>(zc);
  const S* dhsp = opt_ptr<S>(dhs);
  const S* dcsp = opt_ptr<S>(dcs);
  const bool zone = p > 0;
  const S* Gall = gates.const_data_ptr<S>();
  const S* csp = cs.const_data_ptr<S>();
  const S* ctp = zone ? ct.const_data_ptr<S>() : csp + B * H;  // new cell of step t at [t]
  S* dzall = dz.data_ptr<S>();
  const int64_t BH = B * H;
  init_state_grads(dhsp, dcsp, T, BH, dh, dc);
  Tensor dh2 = at::empty_like(dh), dc2 = at::empty_like(dc);
  for (int64_t t = T - 1; t >= 0; --t) {
    const S* G = Gall + t * B * 4 * H;
    const S* cprev = csp + t * BH;
    const S* cnew = ctp + t * BH;
    S* D = dzall + t * B * 4 * H;
    const S* dhp = dh.const_data_ptr<S>();
    const S* dcp = dc.const_data_ptr<S>();
    S* dcn = dc2.data_ptr<S>();
    const S* mh = zhp != nullptr ? zhp + t * BH : nullptr;
    const S* mc = zcp != nullptr ? zcp + t * BH : nullptr;
    const S* dcs_prev = (dcsp != nullptr && t > 0) ? dcsp + (t - 1) * BH : nullptr;
    rows(B, H, [&](int64_t b0, int64_t b1) {
      const V one(S(1));
      for (int64_t b = b0; b < b1; ++b) {
        const S* gi = G + b * 4 * H;
        S* di = D + b * 4 * H;
        const int64_t r = b * H;
        for (int64_t j = 0; j < H; j += W) {
          const int64_t n = std::min<int64_t>(W, H - j);
          V i = V::loadu(gi + j, n), f = V::loadu(gi + H + j, n);
          V g = V::loadu(gi + 2 * H + j, n), o = V::loadu(gi + 3 * H + j, n);
          V dhv = V::loadu(dhp + r + j, n), dcv = V::loadu(dcp + r + j, n);
          V dht = dhv, dct = dcv;
          if (zone) {
            dht = dhv * (one - keep(mh, r + j, n, p));
            dct = dcv * (one - keep(mc, r + j, n, p));
          }
          V cv = V::loadu(cprev + r + j, n);
          V tc = vtanh(V::loadu(cnew + r + j, n));
          V dzo = dht * (tc * (o * (one - o)));
          dct = dct + dht * (o * (one - tc * tc));
          if (pp != nullptr) dct = dct + dzo * V::loadu(pp + 2 * H + j, n);
          V dzi = dct * (g * (i * (one - i)));
          V dzf = dct * (cv * (f * (one - f)));
          V dzg = dct * (i * (one - g * g));
          V dnext = dct * f;
          if (pp != nullptr) dnext = dnext + dzi * V::loadu(pp + j, n) + dzf * V::loadu(pp + H + j, n);
          dnext = carry_cell_grad(dnext, dcv, zone, mc, p, dcs_prev, r + j, n);
          dzi.store(di + j, n);
          dzf.store(di + H + j, n);
          dzg.store(di + 2 * H + j, n);
          dzo.store(di + 3 * H + j, n);
          dnext.store(dcn + r + j, n);
        }
      }
    });
    // dh_{t-1} = (dz_t @ W_hh) * drop + dh_t * zh_t + dhs_{t-1}
    at::mm_out(dh2, dz[t], w_hh);
    const S* dhs_prev = (dhsp != nullptr && t > 0) ? dhsp + (t - 1) * BH : nullptr;
    recurrent_grad_epilogue(dh2.data_ptr<S>(), BH, dp, zone, dhp, mh, p, dhs_prev);
    std::swap(dh, dh2);
    std::swap(dc, dc2);
  }
}

std::tuple<Tensor, Tensor, Tensor> lstm_bwd(const Tensor& gates, const Tensor& cs, const Tensor& ct,
                                            const Tensor& w_hh, const std::optional<Tensor>& peephole,
                                            const std::optional<Tensor>& drop,
                                            const std::optional<Tensor>& zh,
                                            const std::optional<Tensor>& zc, double p,
                                            const std::optional<Tensor>& dhs,
                                            const std::optional<Tensor>& dcs) {
  const int64_t B = gates.size(1), H = gates.size(2) / 4;
  Tensor dz = at::empty_like(gates);
  Tensor dh = at::empty({B, H}, gates.options());
  Tensor dc = at::empty({B, H}, gates.options());
  const Tensor w = w_hh.contiguous();
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "lstm_bwd", [&] {
    bwd_kernel<scalar_t>(gates, cs, ct, w, cont(peephole), cont(drop), cont(zh), cont(zc), p, cont(dhs),
                         cont(dcs), dz, dh, dc);
  });
  return {dz, dh, dc};
}

// 0/1 mask of `size` with P(1) = p (to 2^-32), from a counter-based splitmix64 stream: each 64-bit hash of
// (seed, m) gives two draws, its high 32 bits element m and its low 32 bits element m + ceil(n/2) (half the
// hashing of one draw per hash; two contiguous stores, so the loop vectorises). The same seed gives the
// same mask on any thread count.
Tensor bernoulli_mask(int64_t seed, at::IntArrayRef size, double p, at::ScalarType dtype) {
  Tensor out = at::empty(size, at::TensorOptions().dtype(dtype));
  const int64_t n = out.numel(), half = (n + 1) / 2;
  const uint64_t thr = p >= 1 ? (uint64_t(1) << 32) : p <= 0 ? 0 : uint64_t(p * 4294967296.0);
  const uint64_t s = static_cast<uint64_t>(seed);
  AT_DISPATCH_FLOATING_TYPES(dtype, "bernoulli_mask", [&] {
    scalar_t* o = out.data_ptr<scalar_t>();
    auto draw = [&](int64_t a, int64_t b, bool both) {
      for (int64_t m = a; m < b; ++m) {
        uint64_t z = s + static_cast<uint64_t>(m + 1) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        o[m] = static_cast<scalar_t>((z >> 32) < thr);
        if (both) o[half + m] = static_cast<scalar_t>((z & 0xFFFFFFFFull) < thr);
      }
    };
    const int64_t pairs = n - half;  // elements m < pairs get a second draw (all but the last when n is odd)
    at::parallel_for(0, half, 32768, [&](int64_t a, int64_t b) {
      draw(a, std::min(b, pairs), true);
      draw(std::max(a, pairs), b, false);
    });
  });
  return out;
}

}  // namespace

TORCH_LIBRARY(carrousel_cells, m) {
  m.def(
      "lstm_fwd(Tensor(a!) gates, Tensor bias, Tensor w_hh_t, Tensor? peephole, Tensor h0, Tensor c0, Tensor? drop, "
      "Tensor? zh, Tensor? zc, float p) -> (Tensor, Tensor, Tensor)");
  m.def(
      "lstm_bwd(Tensor gates, Tensor cs, Tensor ct, Tensor w_hh, Tensor? peephole, Tensor? drop, "
      "Tensor? zh, Tensor? zc, float p, Tensor? dhs, Tensor? dcs) -> (Tensor, Tensor, Tensor)");
  m.def(
      "lstm_fwd_infer(Tensor x, Tensor w_ih_t, Tensor bias, Tensor w_hh_t, Tensor? peephole, Tensor h0, Tensor c0, "
      "Tensor? drop, Tensor? zh, Tensor? zc, float p) -> (Tensor, Tensor)");
  m.def("bernoulli_mask(int seed, int[] size, float p, ScalarType dtype) -> Tensor");
}

TORCH_LIBRARY_IMPL(carrousel_cells, CPU, m) {
  m.impl("lstm_fwd", &lstm_fwd);
  m.impl("lstm_fwd_infer", &lstm_fwd_infer);
  m.impl("lstm_bwd", &lstm_bwd);
}

TORCH_LIBRARY_IMPL(carrousel_cells, CompositeExplicitAutograd, m) {
  m.impl("bernoulli_mask", &bernoulli_mask);
}
