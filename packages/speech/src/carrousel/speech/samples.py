"""Real recordings for evaluation, declared to ``carrousel-data`` (entry point ``carrousel.samples``).

Two Debian packages carry real English speech with known words (shared/DATA.md); ``make data`` (or
``carrousel-data fetch speech``, the repository's tools/data helper) caches the files, and
:func:`sample_recordings` reads them from the cache (it never downloads). Third-party audio is never
committed to the repository.

* ``pocketsphinx-testdata`` (BSD-2, CMU Sphinx test data): ``goforward`` ("go forward ten meters",
  16 kHz raw PCM; its Sphinx MFCC file ``speech.goforward.mfc`` checks the front end against Sphinx's), ``tidigits``: 31 TIDIGITS digit strings by a man and a woman, stored as Sphinx
  MFCC feature files (13 cepstra of 20 mel filters up to 4 kHz; decoded directly by models with the
  default telephone-band front end), plus one raw recording of another speaker; ``cards`` (5
  utterances of playing cards, "four queen of clubs"), ``librivox`` (5 read sentences, Sense and
  Sensibility).
* ``klettres-data`` (GPL-2+, KDE's KLettres): the English alphabet read by two speakers (``klettres_en``
  American, ``klettres_en_gb`` British), one OGG per letter, label = file name.
"""

from __future__ import annotations

import re
from pathlib import Path

from carrousel.core.samples import Sample, sample_path

__all__ = ["GROUPS", "REGISTRY", "SAMPLES", "sample_recordings"]

_PS = (
    "pocketsphinx-testdata",
    "0.8+5prealpha+1-15",
    "BSD-2-Clause (Debian pocketsphinx-testdata, CMU Sphinx)",
)
_KL = ("klettres-data", "4:22.12.3-1", "GPL-2+ (Debian klettres-data, KDE KLettres)")

# fmt: off
_FILES = (
    ("speech.goforward.raw", "usr/share/pocketsphinx/test/data/goforward.raw", "f15c60ec54059d8b66e410d0064945a0b0a04ea56e1ddca1958e493c0cf70e71"),
    ("speech.goforward.mfc", "usr/share/pocketsphinx/test/data/goforward.mfc", "1a33127499f0c865aec5893de53c77e3e68bf2d9dfe971b260b3db04afe82cd2"),
    ("speech.tidigits.dhd_2934z", "usr/share/pocketsphinx/test/data/tidigits/dhd.2934z.raw", "60c14412ad1412b83f37061e29c9e76f74cce0f90637debb8087f10cd559e552"),
    ("speech.tidigits.lsn", "usr/share/pocketsphinx/test/data/tidigits/tidigits.lsn", "18b477eeec77329c9a11efeec726396c00d827a57aa38ade805d717fbaf5c08b"),
    ("speech.tidigits.man_ah_111a", "usr/share/pocketsphinx/test/data/tidigits/man.ah.111a.mfc", "b61e7633f15836401a895b0ec485905c07b6f1632fe8a1610014f72ba5e90bb0"),
    ("speech.tidigits.man_ah_1b", "usr/share/pocketsphinx/test/data/tidigits/man.ah.1b.mfc", "2a95a264496ba284547ad0c4bbcfc7bfef6cbc24d20fbbe34534855eeded2f19"),
    ("speech.tidigits.man_ah_2934za", "usr/share/pocketsphinx/test/data/tidigits/man.ah.2934za.mfc", "0d614ff1c065367a44475c6e3bfaa6c2af2d1e7aa98797a42be3d9f780edc90a"),
    ("speech.tidigits.man_ah_35oa", "usr/share/pocketsphinx/test/data/tidigits/man.ah.35oa.mfc", "a64f3003d682c410fff356f32bfb3ac73e7ae6191e968e14b33d1f27a7ea473e"),
    ("speech.tidigits.man_ah_3oa", "usr/share/pocketsphinx/test/data/tidigits/man.ah.3oa.mfc", "e0764fcb3a92c1b16492fdae010e1f4dec26cb8688271fd89a0fc4c2192bcc90"),
    ("speech.tidigits.man_ah_4625a", "usr/share/pocketsphinx/test/data/tidigits/man.ah.4625a.mfc", "bd7ea7765e8cbd6c16a1bd5beb8f8d814c3e288333cf2498209ce5208ec2a5ac"),
    ("speech.tidigits.man_ah_588zza", "usr/share/pocketsphinx/test/data/tidigits/man.ah.588zza.mfc", "2c6506fd9b9e033112cdeb6bffc1dd3228990e944655e52defdbb4d6b21b5a41"),
    ("speech.tidigits.man_ah_63a", "usr/share/pocketsphinx/test/data/tidigits/man.ah.63a.mfc", "ba95a7f08eb6d57d0d4652a89d618120bee99f779e6669cd72465043ac9f076f"),
    ("speech.tidigits.man_ah_6o838a", "usr/share/pocketsphinx/test/data/tidigits/man.ah.6o838a.mfc", "447c984ba7b982bd631fbf8d977e987dac760dcbffeaabab49b378c442385732"),
    ("speech.tidigits.man_ah_75913a", "usr/share/pocketsphinx/test/data/tidigits/man.ah.75913a.mfc", "862e70018a9c9d4eb56c7732aad1021be92cb11d7f18334e6283834e417dbb9f"),
    ("speech.tidigits.man_ah_844o1a", "usr/share/pocketsphinx/test/data/tidigits/man.ah.844o1a.mfc", "085fb8823b7e5306c36e327d6f25715f1662aaf6050427e8cedaf5078949f9de"),
    ("speech.tidigits.man_ah_8b", "usr/share/pocketsphinx/test/data/tidigits/man.ah.8b.mfc", "f3f25b76fb02843029074476603f353605780f6254c8d9088f3dfbda1b5e42cf"),
    ("speech.tidigits.man_ah_9b", "usr/share/pocketsphinx/test/data/tidigits/man.ah.9b.mfc", "264e10622688c16f02e860a3e80fc6ba6ce6edb6383cb0078d36aaf88872b736"),
    ("speech.tidigits.man_ah_o789a", "usr/share/pocketsphinx/test/data/tidigits/man.ah.o789a.mfc", "8981fb4e20f818e71385cf7fabd0f7fcb4b1348856d041b99b07429a74a13ba8"),
    ("speech.tidigits.man_ah_z4548a", "usr/share/pocketsphinx/test/data/tidigits/man.ah.z4548a.mfc", "6cc6b82641b41ad0fa0915bebb842e6b168a1078456c16b4cb08fd6a37db09ad"),
    ("speech.tidigits.man_ah_zb", "usr/share/pocketsphinx/test/data/tidigits/man.ah.zb.mfc", "b62b590d9758fcb85e6db5c5fd4cb5518185ec1cb5b7424548052c99723ba2cf"),
    ("speech.tidigits.woman_ak_1b", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.1b.mfc", "c1d6e9608114c38439baf3485fb7c3e70a95e6d53f1f15fa179fb5bc37873dc9"),
    ("speech.tidigits.woman_ak_276317oa", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.276317oa.mfc", "579a247a6ce304e05c337c5196780c7619a9880344999c3342b579d5012e6a8f"),
    ("speech.tidigits.woman_ak_334a", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.334a.mfc", "00fd78e6f4d96d54c3c4bb6f1e91efa53578a00116ccfa00595ee4cb2a92b42e"),
    ("speech.tidigits.woman_ak_3z3z9a", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.3z3z9a.mfc", "a887e067749c0c61c1119e39dfad17c91f554bedac6738bf13459eaef3f9f029"),
    ("speech.tidigits.woman_ak_48z66zza", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.48z66zza.mfc", "a27405f4e5158b0b8904f9c6cc583138b4ad1c218308296f528e3f9aed2887f1"),
    ("speech.tidigits.woman_ak_532a", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.532a.mfc", "226c602685e178820ea88d46a1fe3caaa345bf330ccb892c5f916e9b5e674b52"),
    ("speech.tidigits.woman_ak_5z874a", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.5z874a.mfc", "6e2f6a2b0f73264367e52ec1fea4e6cef9f5ce4fbfd2ca2386a21ce2c0e74c77"),
    ("speech.tidigits.woman_ak_6728za", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.6728za.mfc", "2ed087c05f19803f121b85b4319f7e6b9d6aed9c4adc48ed39c834832bf430db"),
    ("speech.tidigits.woman_ak_75a", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.75a.mfc", "8f7d67627ef8f5570e99b2a879bb924aab4e48253fdffaffa525a1dbf196a425"),
    ("speech.tidigits.woman_ak_84983a", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.84983a.mfc", "26efde4b869ac05d7b13eb9a71362e9544484b14b4ad5c5c1df9598ee673c381"),
    ("speech.tidigits.woman_ak_8a", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.8a.mfc", "224a22804a027e925cf113beb7a795a8a320a1d400a849893742b12de34baf97"),
    ("speech.tidigits.woman_ak_99731a", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.99731a.mfc", "e0bfc4361326683594b3d9083c318b4309db1b9de37713af8edc885bc36761cf"),
    ("speech.tidigits.woman_ak_o69a", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.o69a.mfc", "20878db5e207ea2b8dc1f621ee32bcf3d2b260ba6ed7ee4ee0b601475f89f803"),
    ("speech.tidigits.woman_ak_ooa", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.ooa.mfc", "22d8f7ca55b3b4f297fae71f6cf213825d979e9bf88f13cb8fcda21bccd50c9c"),
    ("speech.tidigits.woman_ak_za", "usr/share/pocketsphinx/test/data/tidigits/woman.ak.za.mfc", "d519382439ed8cf73d22c90a953ce835a697c8c214aa6c55009f59392eec56a9"),
    ("speech.cards.transcription", "usr/share/pocketsphinx/test/data/cards/cards.transcription", "5f11ecf64b8c45e4596d128293c66e695844854ad03cc79ffabde72dea1eba05"),
    ("speech.cards.c001", "usr/share/pocketsphinx/test/data/cards/001.wav", "899951e768666f27c8f8b1d4090b96fe7909cae9cec01bec0a5d5d1b8a8d566e"),
    ("speech.cards.c002", "usr/share/pocketsphinx/test/data/cards/002.wav", "a3f9eae6fdb69a1231989e39a14d62388a6f52fb59666c76d95005318fadafec"),
    ("speech.cards.c003", "usr/share/pocketsphinx/test/data/cards/003.wav", "00d283e46bc257ae479e4aa86593cadb541656eba1d19fc8abeece37f6a5a18b"),
    ("speech.cards.c004", "usr/share/pocketsphinx/test/data/cards/004.wav", "4c44a8177f5b128b99f078cdeb918119933155574231f1833e8840d1af09c521"),
    ("speech.cards.c005", "usr/share/pocketsphinx/test/data/cards/005.wav", "090f18f5f76cf8b2b43cd9e6b07823f4685a4742d9a36cd98b174a6586c18cf9"),
    ("speech.librivox.transcription", "usr/share/pocketsphinx/test/data/librivox/transcription", "4cc29e04a6dcd29242893b3ee20470e50b6ace45f4387bb619e5218145c66f99"),
    ("speech.librivox.u0870", "usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav", "b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c"),
    ("speech.librivox.u0880", "usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav", "fbec491ef00ee734a67f0ee318e98c51c157b479e1629ff4f4426861ecac0414"),
    ("speech.librivox.u0890", "usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0890.wav", "5793ffbdee55fb8bfd284943a6866864c832d9d4accf2661cabd39915c84ee10"),
    ("speech.librivox.u0920", "usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0920.wav", "40882414ef4cc51f3ff7a63bad0c8c87e7f595ffeb8209fbf756c8ebc5c28a59"),
    ("speech.librivox.u0930", "usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0930.wav", "954adbf0b56ac8a148cbe77b39ca18d76b5f2a1e1f405565bd786ce3e68a68b7"),
    ("speech.klettres_en.a", "usr/share/klettres/en/alpha/A.ogg", "2bfdad90b6fb5ea2e6885c7b77cc99408d5501809eb7ef1526cfe2af37f46281"),
    ("speech.klettres_en.b", "usr/share/klettres/en/alpha/B.ogg", "53984bd0ca7f36d412498a2ecedd37c7af8484ce3dc3a6cadb75f2d68dbe5bfc"),
    ("speech.klettres_en.c", "usr/share/klettres/en/alpha/C.ogg", "2852071b8f55d743d0ca23c7d51b0aea02441ed84244dfe0eaac1481cdcccb5f"),
    ("speech.klettres_en.d", "usr/share/klettres/en/alpha/D.ogg", "b4da2073a8d77e54371e4eec639cff1961d1dc1feb9e1921d18a6eb2486c86c5"),
    ("speech.klettres_en.e", "usr/share/klettres/en/alpha/E.ogg", "ac1e148a075b17fa1337f31e022c0f81833b2e908243343505a0b18ee66a5d47"),
    ("speech.klettres_en.f", "usr/share/klettres/en/alpha/F.ogg", "8698d0d6f2ba042eeca248e48ac7f96145d5fe89bf1bbe76ef04814ca84724c7"),
    ("speech.klettres_en.g", "usr/share/klettres/en/alpha/G.ogg", "761ad30a229bcef7711f8b3c5cd8e706b723680504a614539018bf10fae3d688"),
    ("speech.klettres_en.h", "usr/share/klettres/en/alpha/H.ogg", "382b6ad3233614c0a2a43096ac6e0ebcb7f1430e351f56f279ccd56cc7b2a652"),
    ("speech.klettres_en.i", "usr/share/klettres/en/alpha/I.ogg", "9c5574b3cb78f3da40e3f58f97d03c08c19862aba582f6771afb5e297c23795b"),
    ("speech.klettres_en.j", "usr/share/klettres/en/alpha/J.ogg", "7f00cf07d1337e1ff08a74dee27d2146f0b221abcb7e4d42ce4eb8bf53ee1378"),
    ("speech.klettres_en.k", "usr/share/klettres/en/alpha/K.ogg", "f8289e2d2a53bf4ebe8a11f1fe8f3cbf8a2676b6eae279f224e077f71822e117"),
    ("speech.klettres_en.l", "usr/share/klettres/en/alpha/L.ogg", "79eed3f41568878b620ec9b64d8782117400ac0964549f1bbd7f33254d8f3a20"),
    ("speech.klettres_en.m", "usr/share/klettres/en/alpha/M.ogg", "3cfef8f404894f9c625cc7ba41026cecfb5238321144a3d0bbc118d2243d87a7"),
    ("speech.klettres_en.n", "usr/share/klettres/en/alpha/N.ogg", "763e18439b0485c394d98fd2be10b014959838868e1803a353e5a54d93d4786d"),
    ("speech.klettres_en.o", "usr/share/klettres/en/alpha/O.ogg", "8d4d7568a513f288e8a7bb9a16e9a983c99480f38d3c770eddb628b141baa3b8"),
    ("speech.klettres_en.p", "usr/share/klettres/en/alpha/P.ogg", "2400243970e09c338a68d46e7e3eae808f16b03e73a4f9d2499b201bb29a955d"),
    ("speech.klettres_en.q", "usr/share/klettres/en/alpha/Q.ogg", "8f7c5b51e3fd68bbc2f26ecfec5242f55161465bf61bec9fe221085d329f5be9"),
    ("speech.klettres_en.r", "usr/share/klettres/en/alpha/R.ogg", "e90958c14d8a5a310ade1d330490d1a29183ad70901beca7a8c295d671bc1772"),
    ("speech.klettres_en.s", "usr/share/klettres/en/alpha/S.ogg", "321f9d385f5d55f9d33a5e530b3abb3bed3c2467ee8f182cfc5c63d15216cda8"),
    ("speech.klettres_en.t", "usr/share/klettres/en/alpha/T.ogg", "f011bea718d2bbf72622bec32b7f46ec1ca41d19956e1f3d6e8258b99d6aca97"),
    ("speech.klettres_en.u", "usr/share/klettres/en/alpha/U.ogg", "68d74bff1d86b278567fd81c8ef26992997b3c6826f91315dd95f4fb00ebe636"),
    ("speech.klettres_en.v", "usr/share/klettres/en/alpha/V.ogg", "a42fb87191c47530f2f629b5383ffd75f625c2c89ee25e16213ba37aa3093d1d"),
    ("speech.klettres_en.w", "usr/share/klettres/en/alpha/W.ogg", "0008991d0250d554dcec61f3d4621dca5ffc6c94ab7c1617ec8eae48256e0bbf"),
    ("speech.klettres_en.x", "usr/share/klettres/en/alpha/X.ogg", "d03a1d68d57b8b562c6711eb550e2ba58e822a5f7a3e765d0e8410e401a54527"),
    ("speech.klettres_en.y", "usr/share/klettres/en/alpha/Y.ogg", "18e463a5278a1278355a2fe967a06952392323ae677c384f0459501cd1667e85"),
    ("speech.klettres_en.z", "usr/share/klettres/en/alpha/Z.ogg", "44fa702ec3c3252c63832fbffa1d6e30ebb82d87eaeb71d8d0fe45360b416a63"),
    ("speech.klettres_en_gb.a", "usr/share/klettres/en_GB/alpha/a.ogg", "fe0bbf3ec6f2da6c0d587262fc8324d453587010047d89ed4f5712e70bd564d0"),
    ("speech.klettres_en_gb.b", "usr/share/klettres/en_GB/alpha/b.ogg", "0d2f0eb81efdcd412e23be6c1dcd17d2b5b0a9d82e4faffd277f75f325f75e5e"),
    ("speech.klettres_en_gb.c", "usr/share/klettres/en_GB/alpha/c.ogg", "7709b4c57dc24d128d97861ea9c738bd56d9da1a6ce023930ac59a5a06e7ea8d"),
    ("speech.klettres_en_gb.d", "usr/share/klettres/en_GB/alpha/d.ogg", "8ee02849747d836a7105e9e4745c01bc25f4b68ab4841f2bcf2711446a2113e1"),
    ("speech.klettres_en_gb.e", "usr/share/klettres/en_GB/alpha/e.ogg", "6cb3f14f4b842afa19c74e1cff74735f4077fc71a0f0f583c7e5fa8c8e662131"),
    ("speech.klettres_en_gb.f", "usr/share/klettres/en_GB/alpha/f.ogg", "411662c4f820489df503eb7dbcf9f3eca535445c0adc2d4abeb7630c77ce4993"),
    ("speech.klettres_en_gb.g", "usr/share/klettres/en_GB/alpha/g.ogg", "6ba7cadd56e18266ab5715b719d620cce8eab606f59c0ff116656ae7f17d4303"),
    ("speech.klettres_en_gb.h", "usr/share/klettres/en_GB/alpha/h.ogg", "d9d6045df845e23b3da57b951e5c3d1cd8d4ebc9d114dc1f56a4253c1a20d80a"),
    ("speech.klettres_en_gb.i", "usr/share/klettres/en_GB/alpha/i.ogg", "ade8381a7fe8efb0d1eb050ab3c53c7f81bee94c81799b75f35ffbbdbce76e4c"),
    ("speech.klettres_en_gb.j", "usr/share/klettres/en_GB/alpha/j.ogg", "4f9017cc097de6d17636a885240afe784f485fbb75f36e77986da8c7faafeda9"),
    ("speech.klettres_en_gb.k", "usr/share/klettres/en_GB/alpha/k.ogg", "5f98fd48ff48be2c5c4c458e7e90512c913ce3a1ca32b3be1a6987c9a547f680"),
    ("speech.klettres_en_gb.l", "usr/share/klettres/en_GB/alpha/l.ogg", "b6e36f0e346ab0000b7131f35f5505fc8790690ac52475549ca918cba3ae79c1"),
    ("speech.klettres_en_gb.m", "usr/share/klettres/en_GB/alpha/m.ogg", "165d0286f8af6c5d5f02fbd2336bceeccfc9477741a56672a787d671790e25d2"),
    ("speech.klettres_en_gb.n", "usr/share/klettres/en_GB/alpha/n.ogg", "86295c693e3c769c4720e368cb1a6f4d093787b1edb99da89d2c793e9d5c0323"),
    ("speech.klettres_en_gb.o", "usr/share/klettres/en_GB/alpha/o.ogg", "841d8610cc15e586c98bb5d3ed0881ed578ecd800650dd3bbceb739d39916157"),
    ("speech.klettres_en_gb.p", "usr/share/klettres/en_GB/alpha/p.ogg", "da5f5de34519e96dd0c6ae2fd2939feec5f08cb30dcf510c927e22c4e226333f"),
    ("speech.klettres_en_gb.q", "usr/share/klettres/en_GB/alpha/q.ogg", "9d2c1480cf101546719cf49f099ee1a30b9f0fd6ba66f2049826c0dbf33d7f06"),
    ("speech.klettres_en_gb.r", "usr/share/klettres/en_GB/alpha/r.ogg", "5ae4f0614644512f08b48488c4afd52bb65c5e392f2ef9a808f674c6cade6c88"),
    ("speech.klettres_en_gb.s", "usr/share/klettres/en_GB/alpha/s.ogg", "b665461b9eadf90793fd7535382cd2afb90d800f0d44d17408e413c0ca18fd91"),
    ("speech.klettres_en_gb.t", "usr/share/klettres/en_GB/alpha/t.ogg", "ee4f7c76e4668476551c9d4e1a4c8d8161c86fec5a57d8b599b79fc1289e39f9"),
    ("speech.klettres_en_gb.u", "usr/share/klettres/en_GB/alpha/u.ogg", "fc0ec2fad29b95606758bbf1527294c3d68ce8f5d99b04083208e1a596aa878a"),
    ("speech.klettres_en_gb.v", "usr/share/klettres/en_GB/alpha/v.ogg", "3c036c4cb937e9ef2d68ae7a27f8d67f5b8e05d78b719f838f2a244aba6d09eb"),
    ("speech.klettres_en_gb.w", "usr/share/klettres/en_GB/alpha/w.ogg", "a41771b6de40a918914450b64b140b359bf47541d23b162c6f7bd73edea48fe1"),
    ("speech.klettres_en_gb.x", "usr/share/klettres/en_GB/alpha/x.ogg", "14362cf157a424837877a45244442641af49afd017556ecf961f015d76e2bad9"),
    ("speech.klettres_en_gb.y", "usr/share/klettres/en_GB/alpha/y.ogg", "1982a25c1c2c4df0ac242145fd60d86533e4d2170659964bafa461c2b81f36d9"),
    ("speech.klettres_en_gb.z", "usr/share/klettres/en_GB/alpha/z.ogg", "55a8037b479baf527f349c1c6842d32f8cd78250d6363c368ef8decb04c90ad0"),
)
# fmt: on


def _sample(name: str, member: str, sha256: str) -> Sample:
    package, version, licence = _KL if "klettres" in member else _PS
    what = "transcript file" if not member.endswith((".raw", ".wav", ".ogg", ".mfc")) else "recording"
    return Sample(
        name=name,
        source="debian",
        package=package,
        version=version,
        member=member,
        sha256=sha256,
        filename=Path(member).name,
        licence=licence,
        description=f"real English speech, {what}: {Path(member).name}",
    )


SAMPLES: tuple[Sample, ...] = tuple(_sample(*row) for row in _FILES)
"""Every real-recording sample of this package."""

REGISTRY: dict[str, Sample] = {s.name: s for s in SAMPLES}
"""The samples by name (passed to :func:`carrousel.core.samples.sample_path`, so no reinstall is needed)."""

GROUPS = ("goforward", "tidigits", "cards", "librivox", "klettres_en", "klettres_en_gb")
"""Sets of real recordings that :func:`sample_recordings` returns with their transcripts."""


def _path(name: str) -> Path:
    return sample_path(name, registry=REGISTRY)


def _transcripts(name: str) -> dict[str, str]:
    """``{utterance id: words}`` from a Sphinx transcription file (``<s> words </s> (id)`` lines)."""
    out = {}
    for line in _path(name).read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*(.*?)\s*\(([^()]+)\)\s*$", line)
        if m:
            out[m.group(2)] = " ".join(w for w in m.group(1).split() if w not in ("<s>", "</s>"))
    return out


def sample_recordings(group: str) -> list[tuple[Path, str]]:
    """The cached files of a group of real recordings with their transcripts.

    Args:
        group: one of :data:`GROUPS`.

    Returns:
        ``(path, transcript)`` pairs; ``tidigits`` paths are Sphinx ``.mfc`` feature files except one
        ``.raw`` recording.

    Raises:
        DataError: a file is not cached (the message says to run ``make data``).
        KeyError: an unknown group.
    """
    if group not in GROUPS:
        raise KeyError(f"unknown sample group {group!r}; choose one of {', '.join(GROUPS)}")
    if group == "goforward":
        return [(_path("speech.goforward.raw"), "go forward ten meters")]
    if group in ("klettres_en", "klettres_en_gb"):
        prefix = f"speech.{group}."
        return [(_path(s.name), s.name[len(prefix) :]) for s in SAMPLES if s.name.startswith(prefix)]
    if group == "tidigits":
        words = _transcripts("speech.tidigits.lsn")
        items = [(_path("speech.tidigits." + k.replace(".", "_")), v) for k, v in sorted(words.items())]
        return [*items, (_path("speech.tidigits.dhd_2934z"), "two nine three four zero")]
    words = _transcripts(f"speech.{group}.transcription")
    tag = {"cards": "c", "librivox": "u"}[group]
    return [
        (_path(f"speech.{group}.{tag}{k[-4:] if group == 'librivox' else k}"), v)
        for k, v in sorted(words.items())
    ]
