"""Per-command latency histograms (latency-tracking): INFO latencystats and LATENCY HISTOGRAM.

Redis keeps one HdrHistogram per command (deps/hdr_histogram, lowest trackable value 1 ns, highest
1 s, 2 significant figures) fed with each call's duration in nanoseconds (microseconds * 1000).  The
bucket layout below is HdrHistogram's for exactly those parameters, so percentiles and the
cumulative distribution come out as Redis prints them (e.g. a 5 us SET reads ``p50=5.023``)."""

from __future__ import annotations

LOWEST = 1  # LATENCY_HISTOGRAM_LOWEST_TRACKABLE_VALUE (ns)
HIGHEST = 1_000_000_000  # LATENCY_HISTOGRAM_HIGHEST_TRACKABLE_VALUE (ns)

# hdr_init(1, 1e9, 2): unit_magnitude 0, sub_bucket_count 256 (half 128, magnitude 7)
_SUB_HALF_MAG = 7
_SUB_HALF = 128
_SUB_COUNT = 256


def _counts_len() -> int:
    smallest_untrackable = _SUB_COUNT
    buckets = 1
    while smallest_untrackable <= HIGHEST:
        if smallest_untrackable > (1 << 62):
            buckets += 1
            break
        smallest_untrackable <<= 1
        buckets += 1
    return (buckets + 1) * _SUB_HALF


COUNTS_LEN = _counts_len()


def counts_index(v: int) -> int:
    bucket = (v | 255).bit_length() - 8
    return ((bucket + 1) << _SUB_HALF_MAG) + ((v >> bucket) - _SUB_HALF)


def value_at_index(index: int) -> int:
    bucket = (index >> _SUB_HALF_MAG) - 1
    sub = (index & (_SUB_HALF - 1)) + _SUB_HALF
    if bucket < 0:
        sub -= _SUB_HALF
        bucket = 0
    return sub << bucket


def _bucket_of(v: int):
    bucket = (v | 255).bit_length() - 8
    return bucket, v >> bucket


def lowest_equivalent(v: int) -> int:
    bucket, sub = _bucket_of(v)
    return sub << bucket


def highest_equivalent(v: int) -> int:
    bucket, sub = _bucket_of(v)
    size = 1 << (bucket + 1 if sub >= _SUB_COUNT else bucket)
    return (sub << bucket) + size - 1


class Histogram:
    """One command's histogram.  A call only counts its duration in ``raw`` (microseconds -> calls: a
    dict increment, the whole cost on the hot path); the HdrHistogram buckets are filled from it when
    someone reads them (INFO latencystats, LATENCY HISTOGRAM)."""

    __slots__ = ("_counts", "_total", "raw")

    def __init__(self):
        self._counts: dict = {}  # counts index -> count (sparse)
        self._total = 0
        self.raw: dict = {}  # microseconds -> calls, not yet folded into _counts

    def record_usec(self, usec: int) -> None:
        """updateCommandLatencyHistogram(duration * 1000)."""
        raw = self.raw
        raw[usec] = raw.get(usec, 0) + 1

    def _fold(self) -> None:
        c = self._counts
        for usec, n in self.raw.items():
            ns = usec * 1000
            if ns < LOWEST:
                ns = LOWEST
            elif ns > HIGHEST:
                ns = HIGHEST
            i = counts_index(ns)
            c[i] = c.get(i, 0) + n
            self._total += n
        self.raw = {}

    @property
    def counts(self) -> dict:
        if self.raw:
            self._fold()
        return self._counts

    @property
    def total(self) -> int:
        if self.raw:
            self._fold()
        return self._total

    def value_at_percentile(self, percentile: float) -> int:
        """hdr_value_at_percentile (ns)."""
        p = percentile if percentile < 100.0 else 100.0
        want = int(p / 100 * self.total + 0.5)
        if want < 1:
            want = 1
        seen = 0
        for i in sorted(self.counts):
            seen += self.counts[i]
            if seen >= want:
                v = value_at_index(i)
                return lowest_equivalent(v) if percentile == 0.0 else highest_equivalent(v)
        return 0

    def cdf(self) -> list:
        """fillCommandCDF: (micros, cumulative count) at each power-of-two reporting level from 1024 ns
        (hdr_iter_log_init(1024, 2)) where the cumulative count grew."""
        counts = self.counts
        if not counts:
            return []
        last = max(counts)
        out = []
        level = 1024
        level_low = lowest_equivalent(level)
        idx = -1
        value = 0
        cum = 0
        prev = 0
        while cum < self.total or value_at_index(idx + 1) > level_low:
            while value < level_low:
                if idx + 1 >= COUNTS_LEN:
                    break
                idx += 1
                cum += counts.get(idx, 0)
                value = value_at_index(idx)
                if cum >= self.total and idx >= last and value < level_low:
                    # nothing more to count below this level: jump straight to it
                    value = level_low
            micros = highest_equivalent(level) // 1000
            if cum > prev:
                out.append((micros, cum))
            prev = cum
            level *= 2
            level_low = lowest_equivalent(level)
            if cum >= self.total:
                break
            if idx + 1 >= COUNTS_LEN:
                break
        return out


def percentile_name(p: float) -> str:
    """sprintf("%f") then trimDoubleString: 50.0 -> "50", 99.9 -> "99.9"."""
    s = "%f" % p
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def record(cmd, usec: int) -> None:
    h = cmd.latency_histogram
    if h is None:
        h = cmd.latency_histogram = Histogram()
    h.record_usec(usec)
