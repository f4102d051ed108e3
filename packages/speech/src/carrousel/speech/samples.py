"""Real recordings for evaluation, declared to ``carrousel-data`` (entry point ``carrousel.samples``).

Three Debian packages carry real English speech with known words (shared/DATA.md); ``make data`` (or
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
* ``asterisk-core-sounds-en-gsm`` (CC-BY-SA-3.0, the Asterisk PBX's English prompts, recorded by Allison
  Smith, a professional American voice): a third speaker on a real telephone channel (headerless GSM
  6.10, 8 kHz; 2.4 MB package). ``asterisk_numbers``: the 33 number prompts ``digits/0..20``, the tens,
  ``hundred``, ``thousand``, ``million``, ``oh``, ``minus`` (transcripts as in the package's
  ``core-sounds-en.txt``, e.g. ``digits/17: seventeen``); ``asterisk_letters``: ``letters/a..z``.
"""

from __future__ import annotations

import re
from pathlib import Path

from carrousel.core.samples import Sample, sample_path
from carrousel.speech.text import number_words

__all__ = ["GROUPS", "REGISTRY", "SAMPLES", "sample_recordings"]

_PS = (
    "pocketsphinx-testdata",
    "0.8+5prealpha+1-15",
    "BSD-2-Clause (Debian pocketsphinx-testdata, CMU Sphinx)",
)
_KL = ("klettres-data", "4:22.12.3-1", "GPL-2+ (Debian klettres-data, KDE KLettres)")
_AST = (
    "asterisk-core-sounds-en-gsm",
    "1.6.1-1",
    "CC-BY-SA-3.0 (Debian asterisk-core-sounds-en-gsm, Asterisk core sounds recorded by Allison Smith)",
)

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
    ("speech.asterisk_numbers.n0", "usr/share/asterisk/sounds/en_US_f_Allison/digits/0.gsm", "be56951f539162b497c9208b5a850a346cffd54141729d4e27528f5dcd8ce669"),
    ("speech.asterisk_numbers.n1", "usr/share/asterisk/sounds/en_US_f_Allison/digits/1.gsm", "bc8d3c44d3ddf3942572e94e24b304f1dbcc4c5259706ee5e9030077ccef6be3"),
    ("speech.asterisk_numbers.n2", "usr/share/asterisk/sounds/en_US_f_Allison/digits/2.gsm", "1fdb4c6cce540195fa8acf646dcbd618e529817f9cd14d8a57dafdeb538488d0"),
    ("speech.asterisk_numbers.n3", "usr/share/asterisk/sounds/en_US_f_Allison/digits/3.gsm", "f52978af2a00e1a62cbe1e2138aac99e2e8d4396dbfb13f37deb39c530295bf8"),
    ("speech.asterisk_numbers.n4", "usr/share/asterisk/sounds/en_US_f_Allison/digits/4.gsm", "2585b6995015572cf6caffeb402f1623cef68c69c0dd0eadaaf93eca947d7c74"),
    ("speech.asterisk_numbers.n5", "usr/share/asterisk/sounds/en_US_f_Allison/digits/5.gsm", "2d5e4a07a7687e1a845d9d8edf2e55ef83a028c4622082c2b9c2813002d72e7c"),
    ("speech.asterisk_numbers.n6", "usr/share/asterisk/sounds/en_US_f_Allison/digits/6.gsm", "6d2109fedb0fe87c5e13671e8db1631a814c5594729c5173db5abfa36df30598"),
    ("speech.asterisk_numbers.n7", "usr/share/asterisk/sounds/en_US_f_Allison/digits/7.gsm", "a3848e9a09ca523d66c396c6fc2b68e63e8d797e1bc3002bbc9a187bde7d26e1"),
    ("speech.asterisk_numbers.n8", "usr/share/asterisk/sounds/en_US_f_Allison/digits/8.gsm", "544e22553de58e856839511178d6219feaa2d32594a9e1abd0176ac04e62546e"),
    ("speech.asterisk_numbers.n9", "usr/share/asterisk/sounds/en_US_f_Allison/digits/9.gsm", "7490b85da30a6925bce5e4fe97b2eb46b624ac93c389256c915c495adac44ef3"),
    ("speech.asterisk_numbers.n10", "usr/share/asterisk/sounds/en_US_f_Allison/digits/10.gsm", "8fccca861bbb2786d831df360ad30799e731e78632ac4624c893afa2f2c09eb3"),
    ("speech.asterisk_numbers.n11", "usr/share/asterisk/sounds/en_US_f_Allison/digits/11.gsm", "a0a7727aa87d77d0acaceed6525445d50ea306ea31826e1533ecb9e8586b8577"),
    ("speech.asterisk_numbers.n12", "usr/share/asterisk/sounds/en_US_f_Allison/digits/12.gsm", "f8025928ce02610c2021ad3467330b59dfacd4ae1dd51555312ddefb06baace7"),
    ("speech.asterisk_numbers.n13", "usr/share/asterisk/sounds/en_US_f_Allison/digits/13.gsm", "eb44044de5676917a464bfa1cd94e7af37b116201a59acb5bcc12625c09eac3f"),
    ("speech.asterisk_numbers.n14", "usr/share/asterisk/sounds/en_US_f_Allison/digits/14.gsm", "51f3f42cc9a2619be679d48cc8425ddeb46cdd441c09d2825b2f4641908a6c06"),
    ("speech.asterisk_numbers.n15", "usr/share/asterisk/sounds/en_US_f_Allison/digits/15.gsm", "0fc25b8fdc219b6d68117ffed4651f6e6df96c923ee2036d3e74d9a88ab7b1ce"),
    ("speech.asterisk_numbers.n16", "usr/share/asterisk/sounds/en_US_f_Allison/digits/16.gsm", "394a299eae7c4ea096006c0687644e140791e07a7ec4871b334bd7c194d5839f"),
    ("speech.asterisk_numbers.n17", "usr/share/asterisk/sounds/en_US_f_Allison/digits/17.gsm", "39879b1b31da167a7d14f7339be572a72d1e005f310861367b2054bbf79931e0"),
    ("speech.asterisk_numbers.n18", "usr/share/asterisk/sounds/en_US_f_Allison/digits/18.gsm", "e7c7cb83d0daf7e3ba1f9676a048678df49184e222fd58ebbf5e556cfa549764"),
    ("speech.asterisk_numbers.n19", "usr/share/asterisk/sounds/en_US_f_Allison/digits/19.gsm", "75ea12d30c3669f05aa35f10f06ba2be27c6f753d48389e6cf0e9bd52eb511f2"),
    ("speech.asterisk_numbers.n20", "usr/share/asterisk/sounds/en_US_f_Allison/digits/20.gsm", "486895038115508aa94f82c32a4976e76da79d665aa0fda7a7b0ad8e41ab7c53"),
    ("speech.asterisk_numbers.n30", "usr/share/asterisk/sounds/en_US_f_Allison/digits/30.gsm", "da7a24e6db2c386b73f6ff7a2954c1b257bf4f3f3773321e172b170c60595376"),
    ("speech.asterisk_numbers.n40", "usr/share/asterisk/sounds/en_US_f_Allison/digits/40.gsm", "780cae0d768022a26bdd345beaf3bbcdcc49c4ec85cb68bac1db41c5605fc309"),
    ("speech.asterisk_numbers.n50", "usr/share/asterisk/sounds/en_US_f_Allison/digits/50.gsm", "564b38b8ec0794c2d88309dc9f5d29f046ae3b5a674da460f5d6e6ce11026e53"),
    ("speech.asterisk_numbers.n60", "usr/share/asterisk/sounds/en_US_f_Allison/digits/60.gsm", "c7629dd59f09739fffc04242afb8791d14fdb2072179fa687520e27014abca33"),
    ("speech.asterisk_numbers.n70", "usr/share/asterisk/sounds/en_US_f_Allison/digits/70.gsm", "8f75c88473a4a86cb36e91c312ceee3163c6cf05e49d8bc27a4cee1a91acbc9f"),
    ("speech.asterisk_numbers.n80", "usr/share/asterisk/sounds/en_US_f_Allison/digits/80.gsm", "e91bf6247d47714b2ae8de9ae7d7f2d707627d1e234b96cc15a375ba5ae1cd0e"),
    ("speech.asterisk_numbers.n90", "usr/share/asterisk/sounds/en_US_f_Allison/digits/90.gsm", "3f6b4344d2956a7e19fcc4dc62136e74e4bccf21d53f097973f2200461db01ab"),
    ("speech.asterisk_numbers.nhundred", "usr/share/asterisk/sounds/en_US_f_Allison/digits/hundred.gsm", "780ed74b614402bf6828f604ef836f98ade1d939c744123386221ba16686e631"),
    ("speech.asterisk_numbers.nthousand", "usr/share/asterisk/sounds/en_US_f_Allison/digits/thousand.gsm", "d20cda5192ddd0ab4ae2565282cf8ff9d9b1dd19ea710807a9265b19cfb375b1"),
    ("speech.asterisk_numbers.nmillion", "usr/share/asterisk/sounds/en_US_f_Allison/digits/million.gsm", "ca0909fbe433ff876a2ba61a24b1333b7089ae5b93d6845921d408af2f0c1c37"),
    ("speech.asterisk_numbers.noh", "usr/share/asterisk/sounds/en_US_f_Allison/digits/oh.gsm", "00ccbf02a9a7727554326bc06c52e6614b6b000b4fb4552af5e142d945e7ad8c"),
    ("speech.asterisk_numbers.nminus", "usr/share/asterisk/sounds/en_US_f_Allison/digits/minus.gsm", "564303ef41eb1c5e6c9ee5ee9914419683680b5443a31193ceb23e63040a38ef"),
    ("speech.asterisk_letters.a", "usr/share/asterisk/sounds/en_US_f_Allison/letters/a.gsm", "d623cce6ff2b992eddfee0fcc7c2cc2ba0c09d2cc86c8a0f03bfa5e6acc55fe6"),
    ("speech.asterisk_letters.b", "usr/share/asterisk/sounds/en_US_f_Allison/letters/b.gsm", "511be6b2699fee0593279aa9b9fc9ac0c1d40996652ad99be300ce9d64d995e4"),
    ("speech.asterisk_letters.c", "usr/share/asterisk/sounds/en_US_f_Allison/letters/c.gsm", "1b636c63a29459f859647bc384d51004cd38338f5e63a20f7607b84b01414b7c"),
    ("speech.asterisk_letters.d", "usr/share/asterisk/sounds/en_US_f_Allison/letters/d.gsm", "7dcf72c3daca9a2699d2c9d33b4046e06d184410a2d1d00af6f8cbc8ade063ca"),
    ("speech.asterisk_letters.e", "usr/share/asterisk/sounds/en_US_f_Allison/letters/e.gsm", "c78bc800e1b8d59f724a18b93af32562fd3cb4041a9053ab4d375bc910b73d17"),
    ("speech.asterisk_letters.f", "usr/share/asterisk/sounds/en_US_f_Allison/letters/f.gsm", "d87b9552df9f64424fa4d451641d031c30f7dd412a30659c75339299e39be55d"),
    ("speech.asterisk_letters.g", "usr/share/asterisk/sounds/en_US_f_Allison/letters/g.gsm", "ba2b19fc7f388bee25cdd64b975a1ce8b7dbc08db353b3ba959f77284619feca"),
    ("speech.asterisk_letters.h", "usr/share/asterisk/sounds/en_US_f_Allison/letters/h.gsm", "dde3e4e772ebbdc95b5f83211d2669aa5891e4c13ea13685a35dbbf06a8e6c5e"),
    ("speech.asterisk_letters.i", "usr/share/asterisk/sounds/en_US_f_Allison/letters/i.gsm", "951650c6c5dde13382dec2fbe4c18a00347d9f4f2f645b95133ccb59fee59d73"),
    ("speech.asterisk_letters.j", "usr/share/asterisk/sounds/en_US_f_Allison/letters/j.gsm", "9036afdab3a934dee6155e49455f9c089c3b33e4cb42a1f73a275f8850428362"),
    ("speech.asterisk_letters.k", "usr/share/asterisk/sounds/en_US_f_Allison/letters/k.gsm", "249215a8a2e4b9fbfb1be06491e31a4414b1927d16b7cfec6da033d3c6963c41"),
    ("speech.asterisk_letters.l", "usr/share/asterisk/sounds/en_US_f_Allison/letters/l.gsm", "7aa00a88e910f85a98772bc56e13019ad147d33ab65bb8f2ab2edd68e79439b9"),
    ("speech.asterisk_letters.m", "usr/share/asterisk/sounds/en_US_f_Allison/letters/m.gsm", "736ff4864ca3e458d44f57106dc4ef7ee2f5ebe118114ff9a165bbda613f6335"),
    ("speech.asterisk_letters.n", "usr/share/asterisk/sounds/en_US_f_Allison/letters/n.gsm", "29d99531eae221c2caa7c90da7b8a027a7f357eb663f23861df79906cef2d60b"),
    ("speech.asterisk_letters.o", "usr/share/asterisk/sounds/en_US_f_Allison/letters/o.gsm", "56cafe17ea4425ba595838c28b6a7af7daa83f1efbf9cc6254772a673848a629"),
    ("speech.asterisk_letters.p", "usr/share/asterisk/sounds/en_US_f_Allison/letters/p.gsm", "ea77bf1da842a6f7fe55d8f079bbfc56507048f829507fde69e74bf73c35a58e"),
    ("speech.asterisk_letters.q", "usr/share/asterisk/sounds/en_US_f_Allison/letters/q.gsm", "7931eb2f3533ab2bcc04c26cb73d40d4a914cd3a12a2f0b3a6f4e6e63ecbce32"),
    ("speech.asterisk_letters.r", "usr/share/asterisk/sounds/en_US_f_Allison/letters/r.gsm", "b97928cf7feb9b5e3544dd22ab0b81bd12e3fa2eaae4772a324420bb44e3c6e5"),
    ("speech.asterisk_letters.s", "usr/share/asterisk/sounds/en_US_f_Allison/letters/s.gsm", "92eda8a0266551b3612bc9b1bab873fca77654fde3d451f1e025bc73f613090e"),
    ("speech.asterisk_letters.t", "usr/share/asterisk/sounds/en_US_f_Allison/letters/t.gsm", "4dc005503e135134def37d75d7ededb222cd8f9ed843edad30e8b9aa3cc5154c"),
    ("speech.asterisk_letters.u", "usr/share/asterisk/sounds/en_US_f_Allison/letters/u.gsm", "87ef6be468fc7419929cf30f56b0aef4b7bea061c095f3c10117b5c0b0514075"),
    ("speech.asterisk_letters.v", "usr/share/asterisk/sounds/en_US_f_Allison/letters/v.gsm", "81e5aa06e22dfeffeff5f4a4f2a423967275e698daaefd2266e01fa1109545d0"),
    ("speech.asterisk_letters.w", "usr/share/asterisk/sounds/en_US_f_Allison/letters/w.gsm", "12a92d6b1439f81fbf029972c63ca72d0a36729109a4e8b33a4983395051e41c"),
    ("speech.asterisk_letters.x", "usr/share/asterisk/sounds/en_US_f_Allison/letters/x.gsm", "19b2b2ed6179c54586ef22e9d8e1f68d67b99aafedd089559cccb6c77e0cfa21"),
    ("speech.asterisk_letters.y", "usr/share/asterisk/sounds/en_US_f_Allison/letters/y.gsm", "278679762ca43c7a28724d57e153b1e7011b3a29137394cddd5216c073a50fc9"),
    ("speech.asterisk_letters.z", "usr/share/asterisk/sounds/en_US_f_Allison/letters/z.gsm", "15910b37d784a57415decb09bf57f3857633f846fce3d36584cc52a18fd16fe9"),
)
# fmt: on


def _sample(name: str, member: str, sha256: str) -> Sample:
    package, version, licence = _KL if "klettres" in member else _AST if "asterisk" in member else _PS
    what = "transcript file" if not member.endswith((".raw", ".wav", ".ogg", ".mfc", ".gsm")) else "recording"
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

GROUPS = (
    "goforward",
    "tidigits",
    "cards",
    "librivox",
    "klettres_en",
    "klettres_en_gb",
    "asterisk_numbers",
    "asterisk_letters",
)
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


def _number_word(key: str) -> str:
    """The transcript of Asterisk's ``digits/<key>.gsm``: a number (``17`` -> ``seventeen``) or a word."""
    return number_words(int(key)) if key.isdigit() else key


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
    if group == "asterisk_numbers":
        prefix = "speech.asterisk_numbers.n"
        return [
            (_path(s.name), _number_word(s.name[len(prefix) :])) for s in SAMPLES if s.name.startswith(prefix)
        ]
    if group in ("klettres_en", "klettres_en_gb", "asterisk_letters"):
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
