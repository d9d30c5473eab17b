"""Amaranth-simulator tier of the network top's sample loader, weight read-back port and step
record: random stimulus with random valid gaps and backpressure, scored against the models in
:mod:`snnforge.sim.ssnn_bp_parts_model` (the cocotb tier uses the same ones)."""
import random

import pytest

from snnforge.errors import ConfigError
from snnforge.sim.ssnn_bp_parts_model import StepRecordModel
from snnforge.sim.ssnn_bp_parts_harness import PARTS_CONFIGS, ReadBackBench, read_back_bench
from snnforge.hdl.ssnn_bp.network_config import small_network_config
from snnforge.hdl.ssnn_bp.sample_loader import SampleLoader
from snnforge.hdl.ssnn_bp.step_record import StepRecord
from snnforge.sim.amaranth_stream import simulate

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def test_step_record_sets_and_clears_the_masks_like_its_model():
    """Random sets, shifts and clears (n_hidden = 7 in groups of 4: the top group's last
    lane is dropped), every mask compared with the model in every cycle."""
    dut = StepRecord(n_in=13, n_hidden=7)
    model = StepRecordModel(n_in=13, n_hidden=7)
    r = random.Random(2)

    async def bench(ctx):
        for cycle in range(400):
            drive = dict(clear=int(r.random() < 0.05), s0_set=r.randint(0, 1),
                         s0_index=r.randrange(14), h_shift=int(r.random() < 0.3),
                         h_spikes=r.randrange(16), g_shift=int(r.random() < 0.3),
                         g_pos_in=r.randrange(16), g_neg_in=r.randrange(16))
            for name, value in drive.items():
                ctx.set(getattr(dut, name), value)
            for mask, want in model.masks.items():
                assert ctx.get(getattr(dut, mask)) == want, (cycle, mask)
            await ctx.tick()
            model.tick(**drive)

    simulate(dut, bench)
    with pytest.raises(ConfigError, match="n_hidden"):
        StepRecord(n_in=3, n_hidden=0)


@pytest.mark.parametrize("shape", ["mixed", "classes", "one_pixel"])
def test_sample_loader_double_buffers_samples_in_order_with_their_fields(shape):
    """Random valid gaps, random ``accept`` and random run lengths: the loader takes the next
    sample's beats while the current one runs (two slots), runs the samples in load order,
    each with its first beat's fields and all its pixels, and never takes a third (one pixel:
    a sample's first beat is its last)."""
    config = PARTS_CONFIGS.get(shape) or small_network_config(n_in=1, n_hidden=3, n_out=2)
    dut = SampleLoader(config=config)
    n_in = config.n_in
    r = random.Random(n_in)
    samples = [dict(pixels=[r.randrange(256) for _ in range(n_in)],
                    label=r.randrange(config.n_out), learn=r.randint(0, 1),
                    key=r.getrandbits(32)) for _ in range(7)]

    async def bench(ctx):
        sent = beat = 0          # host: the sample and beat on offer
        loaded = []              # model: complete samples not yet released, in order
        ran = 0                  # samples released
        reads = []               # pixel groups asked of the run slot (data next cycle)
        for cycle in range(60 * n_in * len(samples)):
            valid = sent < len(samples) and r.random() < 0.7
            accept = r.random() < 0.8
            ctx.set(dut.i_sample.valid, valid)
            if sent < len(samples):
                s, first = samples[sent], beat == 0
                # the fields of later beats are noise: only the first beat's count
                ctx.set(dut.i_sample.payload, {
                    "pixel": s["pixels"][beat],
                    "label": s["label"] if first else r.randrange(1 << len(dut.label)),
                    "learn": s["learn"] if first else r.randint(0, 1),
                    "key": s["key"] if first else r.getrandbits(32)})
            ctx.set(dut.accept, accept)
            # the model: a free load slot while fewer than two samples are held
            assert ctx.get(dut.i_sample.ready) == (accept and len(loaded) < 2), cycle
            assert ctx.get(dut.loaded) == bool(loaded), cycle
            assert ctx.get(dut.pending) == (len(loaded) == 2), cycle
            assert ctx.get(dut.busy) == bool(loaded or beat), cycle
            if reads:
                g, idx = reads.pop()
                word = ctx.get(dut.pixels)
                padded = samples[idx]["pixels"] + [0] * (8 * dut.groups - n_in)
                assert [(word >> (8 * b)) & 255 for b in range(8)] == \
                    padded[8 * g:8 * g + 8], (cycle, idx, g)
            release = False
            if loaded:
                run = samples[loaded[0]]
                assert (ctx.get(dut.label), ctx.get(dut.learn), ctx.get(dut.key)) == (
                    run["label"], run["learn"], run["key"]), cycle
                g = r.randrange(dut.groups)
                ctx.set(dut.group_addr, g)
                reads.append((g, loaded[0]))
                release = r.random() < 0.05
            ctx.set(dut.release, release)
            take = valid and accept and len(loaded) < 2
            await ctx.tick()
            if release:
                loaded.pop(0)
                ran += 1
            if take:
                beat += 1
                if beat == n_in:
                    loaded.append(sent)
                    sent, beat = sent + 1, 0
            if ran == len(samples):
                break
        assert ran == len(samples)

    simulate(dut, bench)


@pytest.mark.parametrize("shape", ["wide", "classes"])
def test_read_back_answers_each_request_with_its_row_under_backpressure(shape):
    config = PARTS_CONFIGS[shape]
    dut = ReadBackBench(config=config)
    r = random.Random(len(shape))
    requests = [(layer, r.randrange((config.n_in if layer == 0 else config.n_hidden) + 1))
                for layer in (r.randint(0, 1) for _ in range(40))]
    want = [dut.beats(layer, row) for layer, row in requests]
    assert all(len(beats) == 1 for beats in want)     # a whole row per beat by default

    simulate(dut, read_back_bench(dut, requests, want, r, cycles_per_request=40))
