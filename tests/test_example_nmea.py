"""examples/nmea_gps.py runs: NMEA lines from a simulated GPS on the UART path, every
checksum checked, zero heap bytes per line where the runtime can count them."""


from support import IS_MICROPYTHON, add_examples_path

add_examples_path(__file__)


def test_nmea_example_parses_every_line_without_heap_use():
    import nmea_gps

    c = nmea_gps.main(repeats=6, show=False)
    # 6 rounds of 5 sentences: GGA x2 and RMC parsed, GSA/VTG other, every second
    # round's GSA corrupted; one 122-byte noise line per round, in two pieces.
    assert c["lines"] == 30
    assert c["parsed"] == 18 and c["bad_checksum"] == 3 and c["other"] == 9, c
    assert c["noise_pieces"] == 12, c
    assert nmea_gps.FIX[:3] == [123520, 1, 9]  # the last GGA
    if IS_MICROPYTHON and nmea_gps.HEAP_COUNTER == "micropython.mem_total":
        assert c["heap_max"] == 0, c  # read + checksum + fields: no heap byte per line


def test_nmea_checksum_rejects_corruption():
    import nmea_gps

    line = bytearray(nmea_gps.MAX_LINE)
    body = nmea_gps.SENTENCES[0]
    good = b"$" + body + b"*%02X\r\n" % nmea_gps.checksum_of(body)
    for i in range(len(good)):
        line[i] = good[i]
    assert nmea_gps.parse(line, len(good)) == 1
    assert nmea_gps.FIX[:3] == [123519, 1, 8]
    for pos in (1, 7, len(good) - 4):
        line[pos] ^= 0x01
        assert nmea_gps.parse(line, len(good)) == -1, pos
        line[pos] ^= 0x01
