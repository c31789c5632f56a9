from mpalloc import _fixed_py, fixed
from mpalloc.errors import CapacityError
from mpalloc.fixed import FixedStr
from support import IS_MICROPYTHON, has_numbers, no_alloc, raises, rng, skip

try:
    from mpalloc import _fixed_viper
except (SyntaxError, ImportError, ValueError):
    _fixed_viper = None


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
            cap = r.randrange(0, 24)
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
        assert no_alloc(_line, s, 235, 45) == len("T=23.5C RH=45\n")
        assert s == "T=23.5C RH=45\n"


def test_no_alloc_line_str_args():
    if not IS_MICROPYTHON or _fixed_viper is None:
        skip("str arguments are copied without allocation by the viper kernel only")
    cls = fixed._with_kernel(_fixed_viper)[1]
    s = cls(32)
    assert no_alloc(_line_str, s, -15, 7) == len("T=-1.5C é7\n".encode())
    assert s == "T=-1.5C é7\n"
    assert FixedStr.push_str is fixed._k.push_str


def test_bad_constructor_args():
    raises(TypeError, FixedStr, 2.0)
    raises(ValueError, FixedStr, -2)
    s = FixedStr(0)
    raises(CapacityError, s.push_str, "a")
    s.push_str("")
    assert s == "" and "capacity=0" in repr(s)
