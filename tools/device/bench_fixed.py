# tools/bench cases for mpalloc.fixed (imported by bench_mp.py).
from array import array

import micropython
from bench_kit import Plain, address, kernel_module, ticks_diff, ticks_us

from mpalloc import _fixed_py, fixed


def t_append_pop(n, v, b):
    # Shared by FixedVec and list: the very same loop.
    t0 = ticks_us()
    for _ in range(n):
        v.append(7)
        v.pop()
    return ticks_diff(ticks_us(), t0)


def t_getitem(n, v, b):
    t0 = ticks_us()
    for _ in range(n):
        v[3]
    return ticks_diff(ticks_us(), t0)


def t_line(n, s, vals):
    t, rh, cnt = vals
    t0 = ticks_us()
    for _ in range(n):
        s.clear()
        s.push_str("T=")
        s.push_fixed(t, 1)
        s.push_str("C RH=")
        s.push_int(rh)
        s.push_str("% N=")
        s.push_int(cnt)
        s.push_str("\n")
    return ticks_diff(ticks_us(), t0)


def t_render(n, s, fmt):
    # The values are stored in the loop, as '%' gets them fresh each time.
    v = fmt.values
    t, rh, cnt = 235, 45, 1234
    t0 = ticks_us()
    for _ in range(n):
        v[0] = t
        v[1] = rh
        v[2] = cnt
        s.render(fmt)
    return ticks_diff(ticks_us(), t0)


def t_line_pct(n, s, vals):
    t, rh, cnt = vals
    t0 = ticks_us()
    for _ in range(n):
        "T=%d.%dC RH=%d%% N=%d\n" % (t // 10, t % 10, rh, cnt)
    return ticks_diff(ticks_us(), t0)


def t_line_f(n, s, vals):
    t, rh, cnt = vals
    t0 = ticks_us()
    for _ in range(n):
        f"T={t // 10}.{t % 10}C RH={rh}% N={cnt}\n"  # noqa: B018
    return ticks_diff(ticks_us(), t0)


def floor_vec():
    """Floor of FixedVec(16, 'h') append+pop: the least any implementation does for that
    call shape: two viper closures on the instance over the address of one 'h' array
    (n and capacity in its first two items), with the exact range check (two object
    compares: a big int must not truncate into range) and a capacity/empty check that
    raises through a captured callable. Leaves out the item-size dispatch (1/2/4-byte
    items from one source) and the header/items split."""
    d = array("h", bytes(2 * (2 + 16)))
    d[1] = 16
    aq = address(d) >> 2
    lo = -32768
    hi = 32767

    def fail(code, x):
        raise IndexError(code)

    @micropython.viper
    def append(xo):
        p = ptr16(int(aq) << 2)
        n = int(p[0])
        if n >= int(p[1]):
            fail(1, xo)
        if xo < lo or xo > hi:
            fail(3, xo)
        p[n + 2] = int(xo)
        p[0] = n + 1

    @micropython.viper
    def pop() -> int:
        p = ptr16(int(aq) << 2)
        n = int(p[0]) - 1
        if n < 0:
            fail(2, 0)
        p[0] = n
        return (int(p[n + 2]) << 16) >> 16

    o = Plain()
    o.append = append
    o.pop = pop
    o.d = d
    return o


def add_cases(add):
    add("fixedvec_h", 10, "FixedVec(16, 'h') append+pop [%s]" % fixed.KERNEL, t_append_pop,
        fixed.FixedVec(16, "h"), None, baseline="list_ap", target=1.5,
        floor="floor_fixedvec", summary="FixedVec")
    add("floor_fixedvec", 10, "floor: o.append(7) + o.pop(), viper closures on the "
        "instance over one 'h' array: capacity/empty checks, the range check as two "
        "object compares, one store/load (leaves out the 1/2/4-byte dispatch)",
        t_append_pop, floor_vec(), None, baseline="list_ap")
    add("fixedvec_obj", 10, "FixedVec(16) (objects) append+pop", t_append_pop,
        fixed.FixedVec(16), None, baseline="list_ap")
    add("list_ap", 10, "list append+pop", t_append_pop, [], None)
    v = fixed.FixedVec(16, "h")
    v.extend((1, 2, 3, 4, 5))
    add("fixedvec_get", 10, "FixedVec(16, 'h')[3]", t_getitem, v, None, baseline="list_get",
        note="a Python-level __getitem__ call")
    add("list_get", 10, "list[3]", t_getitem, [1, 2, 3, 4, 5], None)
    vals = (235, 45, 1234)  # "T=23.5C RH=45% N=1234\n" (22 bytes)
    spec = "T={.1}C RH={}% N={}\n"
    add("fixedstr_render", 11, "FixedStr(32).render(Format) of the 22-byte line, "
        "3 values stored [%s]" % fixed.KERNEL, t_render, fixed.FixedStr(32),
        fixed.Format(spec), baseline="line_pct", target=1.0, summary="FixedStr",
        note="no allocation")
    add("fixedstr_line", 11, "FixedStr(32): same line, 4 push_str + push_fixed + 2 push_int [%s]"
        % fixed.KERNEL, t_line, fixed.FixedStr(32), vals, baseline="line_pct",
        note="no allocation; 8 calls")
    add("line_pct", 11, "'T=%d.%dC RH=%d%% N=%d\\n' % (...)", t_line_pct, None, vals,
        gc=True, note="allocates a tuple and the str")
    add("line_f", 11, "f-string of the same line", t_line_f, None, vals, baseline="line_pct")
    # Kernel vs pure twin (>= 2x required to keep the kernel).
    kernels = [("py", _fixed_py)]
    kmod = kernel_module("_fixed_viper")[0]
    if kmod is not None:
        kernels.insert(0, ("viper", kmod))
    for name, kmod in kernels:
        vec, fs = fixed._with_kernel(kmod)
        add("fixed_ap", 12, "FixedVec(16, 'h') append+pop", t_append_pop, vec(16, "h"), None,
            kernel=name)
        add("fixed_line", 12, "FixedStr 22-byte line", t_line, fs(32), vals, kernel=name)
        add("fixed_render", 12, "FixedStr.render(Format)", t_render, fs(32),
            fixed.Format(spec), kernel=name)
