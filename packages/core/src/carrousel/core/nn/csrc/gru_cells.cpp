// Fused CPU step loops of nn.GRU's cell (gate order r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn))),
// forward and hand-written backward over time, compiled once by carrousel.core.nn.native with the LSTM's.
//
// nn.GRU has no oneDNN path in PyTorch (ATen sends only the LSTM there): on CPU it runs ATen's step loop,
// whose backward autograd records op by op (about 1000 nodes at T=60). Here a step is one recurrent GEMM
// (at::mm_out) and ONE vectorised pass over the gate arithmetic; the GEMMs over all steps (the input
// projection, the weight and input gradients) are one call each in gru_native.py.
//
// Ops (namespace carrousel_cells):
//   gru_fwd(gi (T,B,3H) W_ih x + b_ih of every step; b_hh (3H); w_hh_t (H,3H); h0 (B,H); keep)
//            -> hs (T,B,H), saved (T,B,4H) r, z, n and W_hn h + b_hn of every step (empty without keep)
//   gru_bwd(saved, hs, h0, w_hh (3H,H), dhs (T,B,H))
//            -> dgi (T,B,3H) gradient of W_ih x + b_ih, dgh (T,B,3H) of W_hh h + b_hh, dh0 (B,H)
#include <ATen/Dispatch.h>
#include <ATen/ops/addmm.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/zeros.h>
#include <torch/library.h>

#include <tuple>

#include "cells_common.h"

namespace {

using namespace carrousel_cells_common;  // NOLINT: the shared helpers of the kernels

template <typename S>
void gru_fwd_kernel(const Tensor& gi, const S* bhh, const Tensor& w_hh_t, const Tensor& h0, bool keep,
                    Tensor& hs, Tensor& saved) {
  using V = Vectorized<S>;
  constexpr int64_t W = V::size();
  const int64_t T = gi.size(0), B = gi.size(1), H = hs.size(2);
  Tensor gh = at::empty({B, 3 * H}, gi.options());
  S* GH = gh.data_ptr<S>();
  const S* GIall = gi.const_data_ptr<S>();
  S* SVall = keep ? saved.data_ptr<S>() : nullptr;
  for (int64_t t = 0; t < T; ++t) {
    const Tensor hprev_t = t == 0 ? h0 : hs[t - 1];
    at::mm_out(gh, hprev_t, w_hh_t);
    const S* hprev = hprev_t.const_data_ptr<S>();
    S* h = hs[t].data_ptr<S>();
    const S* GI = GIall + t * B * 3 * H;
    S* SV = keep ? SVall + t * B * 4 * H : nullptr;
    rows(B, H, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const S* xi = GI + b * 3 * H;
        const S* hh = GH + b * 3 * H;
        const int64_t r0 = b * H;
        for (int64_t j = 0; j < H; j += W) {
          const int64_t n = std::min<int64_t>(W, H - j);
          V r = vsig(V::loadu(xi + j, n) + V::loadu(hh + j, n) + V::loadu(bhh + j, n));
          V z = vsig(V::loadu(xi + H + j, n) + V::loadu(hh + H + j, n) + V::loadu(bhh + H + j, n));
          V hn = V::loadu(hh + 2 * H + j, n) + V::loadu(bhh + 2 * H + j, n);
          V nn = vtanh(V::loadu(xi + 2 * H + j, n) + r * hn);
          V hp = V::loadu(hprev + r0 + j, n);
          V hnew = nn + z * (hp - nn);
          hnew.store(h + r0 + j, n);
          if (keep) {
            S* sv = SV + b * 4 * H;
            r.store(sv + j, n);
            z.store(sv + H + j, n);
            nn.store(sv + 2 * H + j, n);
            hn.store(sv + 3 * H + j, n);
          }
        }
      }
    });
  }
}

std::tuple<Tensor, Tensor> gru_fwd(const Tensor& gi, const Tensor& b_hh, const Tensor& w_hh_t, const Tensor& h0,
                                   bool keep) {
  TORCH_CHECK(gi.dim() == 3 && gi.size(2) % 3 == 0, "gi must be a (T, B, 3H) tensor");
  const Tensor gic = gi.contiguous(), bc = b_hh.contiguous(), h0c = h0.contiguous();
  const int64_t T = gic.size(0), B = gic.size(1), H = gic.size(2) / 3;
  TORCH_CHECK(bc.numel() == 3 * H && h0c.numel() == B * H, "b_hh must be (3H,) and h0 (B, H)");
  Tensor hs = at::empty({T, B, H}, gic.options());
  Tensor saved = keep ? at::empty({T, B, 4 * H}, gic.options()) : at::empty({0}, gic.options());
  AT_DISPATCH_FLOATING_TYPES(gic.scalar_type(), "gru_fwd", [&] {
    gru_fwd_kernel<scalar_t>(gic, bc.const_data_ptr<scalar_t>(), w_hh_t, h0c, keep, hs, saved);
  });
  return {hs, saved};
}

// Backward of step t, given dh_t (the carried gradient plus dhs[t]):
//   dn~ = dh (1 - z) (1 - n^2)          (gradient of n's pre-activation)
//   dr~ = dn~ hn r (1 - r),  dz~ = dh (h_{t-1} - n) z (1 - z)
//   dgi = (dr~, dz~, dn~),   dgh = (dr~, dz~, dn~ r)
//   dh_{t-1} = dh z + dgh @ W_hh  (+ dhs[t-1] when its turn comes)
template <typename S>
void gru_bwd_kernel(const Tensor& saved, const Tensor& hs, const Tensor& h0, const Tensor& w_hh,
                    const Tensor& dhs, Tensor& dgi, Tensor& dgh, Tensor& dh) {
  using V = Vectorized<S>;
  constexpr int64_t W = V::size();
  const int64_t T = saved.size(0), B = saved.size(1), H = saved.size(2) / 4;
  const int64_t BH = B * H;
  const S* SVall = saved.const_data_ptr<S>();
  const S* hsp = hs.const_data_ptr<S>();
  const S* h0p = h0.const_data_ptr<S>();
  const S* dhsp = dhs.const_data_ptr<S>();
  S* dgiall = dgi.data_ptr<S>();
  S* dghall = dgh.data_ptr<S>();
  Tensor carry = at::zeros({B, H}, saved.options());  // dh_t without dhs[t]
  for (int64_t t = T - 1; t >= 0; --t) {
    const S* SV = SVall + t * B * 4 * H;
    const S* hprev = t == 0 ? h0p : hsp + (t - 1) * BH;
    const S* dhs_t = dhsp + t * BH;
    S* DI = dgiall + t * B * 3 * H;
    S* DH = dghall + t * B * 3 * H;
    S* cp = carry.data_ptr<S>();
    rows(B, H, [&](int64_t b0, int64_t b1) {
      const V one(S(1));
      for (int64_t b = b0; b < b1; ++b) {
        const S* sv = SV + b * 4 * H;
        S* di = DI + b * 3 * H;
        S* dg = DH + b * 3 * H;
        const int64_t r0 = b * H;
        for (int64_t j = 0; j < H; j += W) {
          const int64_t n = std::min<int64_t>(W, H - j);
          V r = V::loadu(sv + j, n), z = V::loadu(sv + H + j, n);
          V nn = V::loadu(sv + 2 * H + j, n), hn = V::loadu(sv + 3 * H + j, n);
          V dhv = V::loadu(cp + r0 + j, n) + V::loadu(dhs_t + r0 + j, n);
          V hp = V::loadu(hprev + r0 + j, n);
          V dnp = dhv * (one - z) * (one - nn * nn);
          V drp = dnp * hn * (r * (one - r));
          V dzp = dhv * (hp - nn) * (z * (one - z));
          drp.store(di + j, n);
          dzp.store(di + H + j, n);
          dnp.store(di + 2 * H + j, n);
          drp.store(dg + j, n);
          dzp.store(dg + H + j, n);
          (dnp * r).store(dg + 2 * H + j, n);
          (dhv * z).store(cp + r0 + j, n);
        }
      }
    });
    carry.addmm_(dgh[t], w_hh);  // dh_{t-1} without dhs[t-1]
  }
  // dh0 = carry (no dhs for h0)
  dh.copy_(carry);
}

std::tuple<Tensor, Tensor, Tensor> gru_bwd(const Tensor& saved, const Tensor& hs, const Tensor& h0,
                                           const Tensor& w_hh, const Tensor& dhs) {
  TORCH_CHECK(saved.dim() == 3 && saved.size(2) % 4 == 0, "saved must be a (T, B, 4H) tensor");
  const Tensor sc = saved.contiguous(), hsc = hs.contiguous(), h0c = h0.contiguous();
  const Tensor w = w_hh.contiguous(), dc = dhs.contiguous();
  const int64_t T = sc.size(0), B = sc.size(1), H = sc.size(2) / 4;
  TORCH_CHECK(dc.numel() == T * B * H && hsc.numel() == T * B * H, "dhs and hs must be (T, B, H)");
  Tensor dgi = at::empty({T, B, 3 * H}, sc.options());
  Tensor dgh = at::empty({T, B, 3 * H}, sc.options());
  Tensor dh = at::empty({B, H}, sc.options());
  AT_DISPATCH_FLOATING_TYPES(sc.scalar_type(), "gru_bwd", [&] {
    gru_bwd_kernel<scalar_t>(sc, hsc, h0c, w, dc, dgi, dgh, dh);
  });
  return {dgi, dgh, dh};
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(carrousel_cells, m) {
  m.def("gru_fwd(Tensor gi, Tensor b_hh, Tensor w_hh_t, Tensor h0, bool keep) -> (Tensor, Tensor)");
  m.def("gru_bwd(Tensor saved, Tensor hs, Tensor h0, Tensor w_hh, Tensor dhs) -> (Tensor, Tensor, Tensor)");
}

TORCH_LIBRARY_IMPL(carrousel_cells, CPU, m) {
  m.impl("gru_fwd", &gru_fwd);
  m.impl("gru_bwd", &gru_bwd);
}
