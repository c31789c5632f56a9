from mpalloc import _fixed_py, fixed
from mpalloc.errors import CapacityError
from mpalloc.fixed import FixedStr, Format
from support import (
    IS_MICROPYTHON,
    RUNTIME,
    eq,
    has_numbers,
    no_alloc,
    no_heap_use,
    raises,
    rng,
    skip,
    viper_kernel,
)

_fixed_viper = viper_kernel("_fixed_viper")


def classes():
    out = [fixed._with_kernel(_fixed_py)[1]]
    if _fixed_viper is not None:
        out.append(fixed._with_kernel(_fixed_viper)[1])
    return out


def test_push_and_compare():
    for cls in classes():
        s = cls(16)
        assert (len(s), s.capacity, str(s)) == (0, 16, "")
        s.push_str("T=")
        s.append(b"ab")
        s.push_byte(0x21)
        assert s == "T=ab!" and s == b"T=ab!" and len(s) == 5
        assert s != "T=ab" and s != "T=ab!!" and (s == 5) is False
        assert bytes(s.as_bytes()) == b"T=ab!"
        assert s.startswith("T=") and s.startswith(b"") and not s.startswith("x")
        assert not s.startswith("T=ab!!")
        s.clear()
        assert len(s) == 0 and s == ""


def test_utf8_bytes_and_atomic_capacity():
    for cls in classes():
        s = cls(5)
        s.push_str("é")  # 2 bytes
        assert len(s) == 2
        s.push_str("€")  # 3 bytes
        assert len(s) == 5 and str(s) == "é€"
        e = raises(CapacityError, s.push_str, "a")
        has_numbers(e, 1, 5)
        raises(CapacityError, s.push_byte, 65)
        raises(CapacityError, s.push_int, 1)
        assert str(s) == "é€"
        s.clear()
        s.push_str("ab")
        raises(CapacityError, s.push_str, "x€")  # 4 bytes into 3 free
        assert str(s) == "ab" and len(s) == 2
        raises(TypeError, s.push_str, 5)
        assert str(s) == "ab"


def test_push_fit_and_truncate_keep_characters_whole():
    for cls in classes():
        s = cls(6)
        s.push_str("ab")
        assert s.push_fit("€€") == 3  # 6 bytes offered, 4 free: one whole char
        assert str(s) == "ab€" and len(s) == 5
        assert s.push_fit(b"xyz") == 1
        assert bytes(s.as_bytes()) == "ab€x".encode()
        for n in range(7):
            t = cls(6)
            t.push_str("ab€x")
            t.truncate(n)
            str(t)  # decodes: never half a character
            want = {0: "", 1: "a", 2: "ab", 3: "ab", 4: "ab", 5: "ab€", 6: "ab€x"}[n]
            assert str(t) == want, (n, str(t))


def test_random_text_matches_encode():
    r = rng(61)
    alphabet = ("a", "Z", "0", " ", "é", "ß", "€", "中", "😀")
    for cls in classes():
        for _ in range(100):
            cap = r.randrange(1, 24)
            s = cls(cap)
            ref = b""
            for _ in range(6):
                txt = "".join(r.choice(alphabet) for _ in range(r.randrange(0, 4)))
                enc = txt.encode()
                if len(ref) + len(enc) <= cap:
                    s.push_str(txt)
                    ref += enc
                else:
                    raises(CapacityError, s.push_str, txt)
                assert bytes(s.as_bytes()) == ref
            assert s == ref.decode()


def test_format_into():
    cases = ((0, 0, "0"), (7, 0, "7"), (-7, 0, "-7"), (1234567, 0, "1234567"),
             (235, 1, "23.5"), (-235, 1, "-23.5"), (5, 2, "0.05"), (-5, 2, "-0.05"),
             (100, 2, "1.00"), (0, 3, "0.000"), ((1 << 30) - 1, 0, str((1 << 30) - 1)))
    for cls in classes():
        for v, d, want in cases:
            s = cls(16)
            s.push_str("<")
            if d:
                s.push_fixed(v, d)
                t = cls(16)
                t.format_into(v, d)
                assert t == want
            else:
                s.push_int(v)
            assert str(s) == "<" + want, (cls, v, d, str(s))
        s = cls(4)
        s.push_str("T")
        raises(CapacityError, s.push_fixed, 235, 1)  # "23.5" needs 4, 3 free
        assert str(s) == "T"
        s.push_fixed(5, 1)
        assert str(s) == "T0.5"


def _line(s, t, rh):
    s.clear()
    s.push_str(b"T=")
    s.push_fixed(t, 1)
    s.push_str(b"C RH=")
    s.push_int(rh)
    s.push_byte(10)
    return len(s)


def _line_str(s, t, rh):
    s.clear()
    s.push_str("T=")
    s.push_fixed(t, 1)
    s.push_str("C é")
    s.format_into(rh, 0)
    s.push_str("\n")
    return len(s)


def test_no_alloc_line_bytes_args():
    for cls in classes():
        s = cls(32)
        eq(no_alloc(_line, s, 235, 45), len("T=23.5C RH=45\n"), "_line")
        assert s == "T=23.5C RH=45\n"


def test_no_alloc_line_str_args():
    if not IS_MICROPYTHON or _fixed_viper is None:
        skip("str arguments are copied without allocation by the viper kernel only")
    cls = fixed._with_kernel(_fixed_viper)[1]
    s = cls(32)
    eq(no_alloc(_line_str, s, -15, 7), len("T=-1.5C é7\n".encode()), "_line_str")
    assert s == "T=-1.5C é7\n"
    assert FixedStr._push is fixed._k.push


def test_bad_constructor_args():
    raises(TypeError, FixedStr, 2.0)
    raises(ValueError, FixedStr, -2)
    raises(ValueError, FixedStr, 0)  # capacity 0 is refused, as by every mpalloc allocator
    s = FixedStr(1)
    s.push_str("a")
    raises(CapacityError, s.push_str, "b")
    s.push_str("")
    assert s == "a" and "capacity=1" in repr(s)


# ---- Format / render ---------------------------------------------------------------


def _ref(v, dec):
    # The reference text, built with '%' formatting.
    if not dec:
        return "%d" % v
    u = -v if v < 0 else v
    p = 10 ** dec
    r = "%d" % (u % p)
    return "%s%d.%s" % ("-" if v < 0 else "", u // p, "0" * (dec - len(r)) + r)


def _random_value(r):
    k = r.randrange(4)
    if k == 0:
        return r.randrange(-20, 20)
    if k == 1:
        return r.randrange(-99999, 100000)
    v = r.randrange((1 << 30) - 1000, 1 << 30) if k == 2 else r.getrandbits(29)
    return -v if r.getrandbits(1) else v


def test_render_matches_percent_formatting():
    r = rng(62)
    lits = ("", "T=", "C RH=", "% N=", "\n", "{{", "}}", "é€", " ", "%d")
    for cls in classes():
        for _ in range(150):
            spec = ""
            want = ""
            decs = []
            for _ in range(r.randrange(0, 5)):
                lit = r.choice(lits)
                spec += lit
                want += lit.replace("{{", "{").replace("}}", "}")
                dec = r.randrange(5)
                spec += "{.%d}" % dec if dec or r.getrandbits(1) else "{}"
                decs.append(dec)
                want += "\0"  # placeholder for the value
            lit = r.choice(lits)
            spec += lit
            want += lit.replace("{{", "{").replace("}}", "}")
            fmt = fixed.Format(spec)
            assert len(fmt.values) == len(decs)
            for _ in range(3):
                text = ""
                parts = want.split("\0")
                for k, dec in enumerate(decs):
                    v = _random_value(r)
                    fmt.values[k] = v
                    text += parts[k] + _ref(v, dec)
                text += parts[-1]
                s = cls(max(3, len(text.encode()) + r.randrange(3)))
                s.push_str("old")
                s.render(fmt)
                assert str(s) == text, (spec, str(s), text)
                assert len(s) == len(text.encode())


def test_format_escapes_and_errors_name_the_position():
    for cls in classes():
        s = cls(32)
        f = fixed.Format("{{}}{}}}{{{.2}")
        f.values[0] = 7
        f.values[1] = -1
        s.render(f)
        assert s == "{}7}{-0.01"
        s.render(fixed.Format(""))
        assert s == "" and len(fixed.Format("").values) == 0
        s.render(fixed.Format("abc"))
        assert s == "abc"
    long = "x" * 300
    f = fixed.Format(long + "{}" + long)
    f.values[0] = 5
    s = FixedStr(601)
    s.render(f)
    assert s == long + "5" + long
    for bad, pos in (("{", 0), ("ab}", 2), ("a{.}", 1), ("{x}", 0), ("T={.10}", 2),
                     ("x{.1", 1), ("{}}}}", 4), ("{:d}", 0), ("{.-1}", 0)):
        e = raises(ValueError, fixed.Format, bad)
        has_numbers(e, pos)
    raises(TypeError, fixed.Format, b"{}")


def test_render_capacity_errors_are_atomic():
    f = fixed.Format("T={.1}C N={}")
    f.values[0] = -235
    f.values[1] = 1234
    want = "T=-23.5C N=1234"  # 15 bytes
    for cls in classes():
        s = cls(14)
        s.push_str("keep")
        e = raises(CapacityError, s.render, f)
        has_numbers(e, 15, 14)
        assert s == "keep" and len(s) == 4
        assert s.try_render(f) is False
        assert s == "keep"
        s = cls(15)
        assert s.try_render(f) is True and s == want
        f.values[1] = 12345  # one byte more: old text kept
        assert s.try_render(f) is False and s == want
        raises(CapacityError, s.render, f)
        assert s == want
        f.values[1] = 1234


def _render_twice(s, fmt, t, t2):
    # t2 is an argument, not t + 1: at t = 2**30 - 1 that sum is a big int on 32-bit
    # boards (a heap object), which the test itself would allocate under heap_lock.
    v = fmt.values
    v[0] = t
    v[1] = -t
    s.render(fmt)
    v[2] = t2
    ok = s.try_render(fmt)
    return len(s) if ok else -1


def test_no_alloc_render():
    fmt = fixed.Format("T={.1}C RH={}% N={.3}\n")
    for cls in classes():
        s = cls(48)
        eq(no_alloc(_render_twice, s, fmt, 1234, 1235),
           len("T=123.4C RH=-1234% N=1.235\n"), "_render_twice")
        assert s == "T=123.4C RH=-1234% N=1.235\n"
        s.clear()
        # the small-int limits of a 32-bit board: 2**30 - 1 and -2**30
        want = "T=107374182.3C RH=-1073741823% N=-1073741.824\n"
        eq(no_alloc(_render_twice, s, fmt, (1 << 30) - 1, -(1 << 30)), len(want), "_render_twice")
        assert s == want


def test_render_no_heap_use_viper():
    if not IS_MICROPYTHON or _fixed_viper is None:
        skip("the viper kernel renders without a heap frame; this runtime has no viper")
    cls = fixed._with_kernel(_fixed_viper)[1]
    fmt = fixed.Format("T={.1}C RH={}% N={}\n")
    fmt.values[0] = 235
    fmt.values[1] = 45
    fmt.values[2] = 1234
    s = cls(32)
    no_heap_use(s.render, fmt)
    assert s == "T=23.5C RH=45% N=1234\n"
    eq(no_heap_use(s.try_render, fmt), True, "s.try_render")
    assert FixedStr._fill is fixed._k.fill


def _same_str_state(a, b, ctx):
    # Real state: the header words (length, capacity) and every byte of the storage.
    eq(b._h[0], a._h[0], (ctx, "header word 0 (length)"))
    eq(b._h[1], a._h[1], (ctx, "header word 1 (capacity)"))
    eq(bytes(b._b), bytes(a._b), (ctx, "storage bytes"))


def _both_str_kernels():
    if _fixed_viper is None:
        skip("no viper kernel on %s: only the pure twin runs here, nothing to compare it "
             "with" % RUNTIME)
    return fixed._with_kernel(_fixed_py)[1], fixed._with_kernel(_fixed_viper)[1]


def test_render_twins_agree():
    fp, fv = _both_str_kernels()
    r = rng(63)
    fmt = fixed.Format("[{}|{.1}|{.2}|{.3}|{.4}|{.9}]")
    for step in range(200):
        for k in range(6):
            fmt.values[k] = r.getrandbits(r.randrange(1, 32)) * (1 if r.getrandbits(1) else -1)
        a, b = fp(96), fv(96)
        a.render(fmt)
        b.render(fmt)
        _same_str_state(a, b, (step, "render", list(fmt.values)))


def test_twins_agree_on_random_appends():
    # The same random pushes on both kernels (some too long: CapacityError, nothing
    # written), equal results and state after every step.
    fp, fv = _both_str_kernels()
    r = rng(65)
    words = ("T=", "é", "€x", b"ab", bytearray(b"\xc3\xa9z"), "", "%", "0123456789")
    fmt = fixed.Format("<{.2}>")
    a, b = fp(24), fv(24)
    for step in range(400):
        op = r.randrange(6)
        if op == 0:
            w = r.choice(words)
            ra = _outcome(a.push_str, w)
            eq(_outcome(b.push_str, w), ra, (step, "push_str", w))
        elif op == 1:
            v = r.getrandbits(r.randrange(1, 31)) * (1 if r.getrandbits(1) else -1)
            dec = r.randrange(0, 4)
            eq(_outcome(b.push_fixed, v, dec), _outcome(a.push_fixed, v, dec),
               (step, "push_fixed", v, dec))
        elif op == 2:
            w = r.choice(words)
            eq(b.push_fit(w), a.push_fit(w), (step, "push_fit", w))
        elif op == 3:
            fmt.values[0] = r.getrandbits(20)
            eq(b.try_render(fmt), a.try_render(fmt), (step, "try_render", fmt.values[0]))
        elif op == 4:
            n = r.randrange(0, 25)
            a.truncate(n)
            b.truncate(n)
        else:
            a.clear()
            b.clear()
        _same_str_state(a, b, (step, op))


def _outcome(fn, *args):
    # "ok" or the exception's class name (the twins raise the same errors).
    try:
        fn(*args)
    except Exception as e:
        return type(e).__name__
    return "ok"


def test_format_set_checks_the_range():
    fmt = Format("N={}")
    s = FixedStr(24)
    fmt.set(0, 0x7FFFFFFF)
    s.render(fmt)
    assert s == "N=2147483647"
    fmt.set(0, -0x7FFFFFFF)
    for bad in (0x80000000, -0x80000000, 1 << 40):
        e = raises(OverflowError, fmt.set, 0, bad)  # the array would keep 32 bits
        assert has_numbers(e, bad, 0x7FFFFFFF), str(e)
        assert fmt.values[0] == -0x7FFFFFFF
    raises(TypeError, fmt.set, 0, 2.5)
    raises(TypeError, fmt.set, 0, "7")
    raises(IndexError, fmt.set, 1, 7)
    assert fmt.values[0] == -0x7FFFFFFF
    fmt.set(0, 42)
    s.render(fmt)
    assert s == "N=42"
    assert no_alloc(fmt.set, 0, 43) is None and fmt.values[0] == 43


def _fixed_text(x, dec):
    # str(x) with a decimal point dec digits from the right, zero-padded: 5, 3 -> "0.005"
    a = str(-x if x < 0 else x)
    a = "0" * (dec + 1 - len(a)) + a
    return ("-" if x < 0 else "") + a[:len(a) - dec] + "." + a[len(a) - dec:]


# Values at a 32-bit board's edges: small ints end at 2**30, machine words at 2**31;
# viper arithmetic on a word (negation of -2**31, digit loops) wraps silently there.
EDGES = ((1 << 31) - 1, -(1 << 31), 1 << 30, -(1 << 30) - 1, (1 << 30) - 1, -(1 << 30),
         -1, 0)


def test_push_int_and_fixed_at_32_bit_edges():
    for cls in classes():
        s = cls(40)
        for x in EDGES:
            s.clear()
            s.push_int(x)
            assert s == str(x), (cls, x, str(s))
            for dec in (1, 9, 11):
                s.clear()
                s.push_fixed(x, dec)
                assert s == _fixed_text(x, dec), (cls, x, dec, str(s))


def test_render_at_32_bit_edges():
    fmt = fixed.Format("{} {.1} {.9}|")
    for cls in classes():
        s = cls(64)
        for x in EDGES:
            fmt.values[0] = x
            fmt.values[1] = x
            fmt.values[2] = x
            s.render(fmt)
            want = "%d %s %s|" % (x, _fixed_text(x, 1), _fixed_text(x, 9))
            assert s == want, (cls, x, str(s))
            assert s.try_render(fmt) is True and s == want
