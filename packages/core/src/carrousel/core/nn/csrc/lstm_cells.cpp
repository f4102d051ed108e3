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
//   lstm_bwd(gates, cs, ct, w_hh (4H,H), peephole?, drop?, zh?, zc?, p, dhs?, dcs?)
//            -> dz (T,B,4H) pre-activation gradients, dh0, dc0 (B,H)
//   bernoulli_mask(seed, size, p, dtype) -> 0/1 tensor, P(1) = p (the zoneout masks; torch.bernoulli
//            measured about 10x the time of this)
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

template <typename S>
void fwd_kernel(Tensor& gates, const S* bias, const Tensor& w_hh_t, const std::optional<Tensor>& peephole,
                const Tensor& h0, const Tensor& c0, const std::optional<Tensor>& drop,
                const std::optional<Tensor>& zh, const std::optional<Tensor>& zc, double p, Tensor& hs,
                Tensor& cs, Tensor& ct) {
  using V = Vectorized<S>;
  constexpr int64_t W = V::size();
  const int64_t T = gates.size(0), B = gates.size(1), H = hs.size(2);
  const S* pp = opt_ptr<S>(peephole);
  const S* dp = opt_ptr<S>(drop);
  const S* zhp = opt_ptr<S>(zh);
  const S* zcp = opt_ptr<S>(zc);
  const bool zone = p > 0;
  Tensor hin = drop.has_value() && drop->defined() ? at::empty({B, H}, h0.options()) : Tensor();
  cs[0].copy_(c0);
  for (int64_t t = 0; t < T; ++t) {
    const Tensor hprev_t = t == 0 ? h0 : hs[t - 1];
    Tensor g_t = gates[t];
    if (dp != nullptr) {
      at::mul_out(hin, hprev_t, *drop);
      g_t.addmm_(hin, w_hh_t);
    } else {
      g_t.addmm_(hprev_t, w_hh_t);
    }
    S* G = g_t.data_ptr<S>();
    const S* hprev = hprev_t.const_data_ptr<S>();
    const S* c = cs[t].const_data_ptr<S>();
    S* cnext = cs[t + 1].data_ptr<S>();
    S* cn = zone ? ct[t].data_ptr<S>() : cnext;
    S* h = hs[t].data_ptr<S>();
    const S* mh = zhp != nullptr ? zhp + t * B * H : nullptr;
    const S* mc = zcp != nullptr ? zcp + t * B * H : nullptr;
    rows(B, H, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        S* gi = G + b * 4 * H;
        S* gf = gi + H;
        S* gg = gi + 2 * H;
        S* go = gi + 3 * H;
        const int64_t r = b * H;
        for (int64_t j = 0; j < H; j += W) {
          const int64_t n = std::min<int64_t>(W, H - j);
          V cv = V::loadu(c + r + j, n);
          V zi = V::loadu(gi + j, n) + V::loadu(bias + j, n);
          V zf = V::loadu(gf + j, n) + V::loadu(bias + H + j, n);
          if (pp != nullptr) {
            zi = zi + V::loadu(pp + j, n) * cv;
            zf = zf + V::loadu(pp + H + j, n) * cv;
          }
          V i = vsig(zi), f = vsig(zf), g = vtanh(V::loadu(gg + j, n) + V::loadu(bias + 2 * H + j, n));
          V cnew = f * cv + i * g;
          V zo = V::loadu(go + j, n) + V::loadu(bias + 3 * H + j, n);
          if (pp != nullptr) zo = zo + V::loadu(pp + 2 * H + j, n) * cnew;
          V o = vsig(zo);
          V hnew = o * vtanh(cnew);
          i.store(gi + j, n);
          f.store(gf + j, n);
          g.store(gg + j, n);
          o.store(go + j, n);
          cnew.store(cn + r + j, n);
          if (zone) hnew = zoneout_fwd(hnew, cnew, cv, hprev, mh, mc, p, r + j, n, cnext);
          hnew.store(h + r + j, n);
        }
      }
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

// 0/1 mask of `size` with P(1) = p (to 2^-32), from a counter-based splitmix64 stream: the high 32 bits
// of a 64-bit hash of (seed, index) per element, branch-free so the loop vectorises. The same seed gives
// the same mask on any thread count.
Tensor bernoulli_mask(int64_t seed, at::IntArrayRef size, double p, at::ScalarType dtype) {
  Tensor out = at::empty(size, at::TensorOptions().dtype(dtype));
  const int64_t n = out.numel();
  const uint64_t thr = p >= 1 ? (uint64_t(1) << 32) : p <= 0 ? 0 : uint64_t(p * 4294967296.0);
  const uint64_t s = static_cast<uint64_t>(seed);
  AT_DISPATCH_FLOATING_TYPES(dtype, "bernoulli_mask", [&] {
    scalar_t* o = out.data_ptr<scalar_t>();
    at::parallel_for(0, n, 65536, [&](int64_t a, int64_t b) {
      for (int64_t k = a; k < b; ++k) {
        uint64_t z = s + static_cast<uint64_t>(k + 1) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        o[k] = static_cast<scalar_t>((z >> 32) < thr);
      }
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
  m.def("bernoulli_mask(int seed, int[] size, float p, ScalarType dtype) -> Tensor");
}

TORCH_LIBRARY_IMPL(carrousel_cells, CPU, m) {
  m.impl("lstm_fwd", &lstm_fwd);
  m.impl("lstm_bwd", &lstm_bwd);
}

TORCH_LIBRARY_IMPL(carrousel_cells, CompositeExplicitAutograd, m) {
  m.impl("bernoulli_mask", &bernoulli_mask);
}
