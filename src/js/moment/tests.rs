//! Parity tests against moment 2.30.1 + moment-timezone 0.6.2 (and V8's `Date` where the helpers
//! go through it), with expected values produced by the reference under node 20, `TZ=UTC`.

use super::super::civil::MS_PER_DAY;
use super::format::ordinal;
use super::*;

// Expected values below were produced by the reference itself: moment 2.30.1 and
// moment-timezone 0.6.2 (tzdata 2026b) extracted from metadata-action's bundled
// `dist/index.cjs`, and V8's Date, all run under node 20 with TZ=UTC.

fn helper(ms: f64, zone_name: &str, fmt: &str) -> String {
    match resolve_helper_zone(zone_name) {
        Err(e) => format!("THROW:{}", e.js_message()),
        Ok(resolved) => match format(ms, &resolved.zone, fmt) {
            Ok(out) => out,
            Err(e) => format!("THROW:{}", e.js_message()),
        },
    }
}

fn same_number(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.total_cmp(&b).is_eq()
}

const FMT_ALL: &str = "YYYY-MM-DD HH:mm:ss.SSS Z ZZ z zz X x|M Mo MMM MMMM Q Qo D Do DDD DDDo DDDD d do dd ddd dddd e E w wo ww W Wo WW|YY Y YYYYY YYYYYY gg gggg ggggg GG GGGG GGGGG|A a h hh k kk hmm hmmss Hmm Hmmss|S SS SSSS SSSSSSSSS|N NNNN y yy yo|LTS/LT/L/LL/LLL/LLLL/l/ll/lll/llll";
/// (comment, instant, zone, moment output for `FMT_ALL`), from moment 2.30.1 + moment-timezone 0.6.2 under node 20, `TZ=UTC`.
const ALL_TOKENS: &[(&str, f64, &str, &str)] = &[
    (
        "metadata-action test fixture",
        1_578_616_200_000.0,
        "UTC",
        "2020-01-10 00:30:00.000 +00:00 +0000 UTC UTC 1578616200 1578616200000|1 1st Jan January 1 1st 10 10th 10 10th 010 5 5th Fr Fri Friday 5 5 2 2nd 02 2 2nd 02|20 2020 02020 +002020 20 2020 02020 20 2020 02020|AM am 12 12 24 24 1230 123000 030 03000|0 00 0000 000000000|AD Anno Domini 2020 2020 2020th|12:30:00 AM/12:30 AM/01/10/2020/January 10, 2020/January 10, 2020 12:30 AM/Friday, January 10, 2020 12:30 AM/1/10/2020/Jan 10, 2020/Jan 10, 2020 12:30 AM/Fri, Jan 10, 2020 12:30 AM",
    ),
    (
        "fixture in Tokyo",
        1_578_616_200_000.0,
        "Asia/Tokyo",
        "2020-01-10 09:30:00.000 +09:00 +0900 JST JST 1578616200 1578616200000|1 1st Jan January 1 1st 10 10th 10 10th 010 5 5th Fr Fri Friday 5 5 2 2nd 02 2 2nd 02|20 2020 02020 +002020 20 2020 02020 20 2020 02020|AM am 9 09 9 09 930 93000 930 93000|0 00 0000 000000000|AD Anno Domini 2020 2020 2020th|9:30:00 AM/9:30 AM/01/10/2020/January 10, 2020/January 10, 2020 9:30 AM/Friday, January 10, 2020 9:30 AM/1/10/2020/Jan 10, 2020/Jan 10, 2020 9:30 AM/Fri, Jan 10, 2020 9:30 AM",
    ),
    (
        "fixture, unknown zone: local mode",
        1_578_616_200_000.0,
        "Nope/Zone",
        "2020-01-10 00:30:00.000 +00:00 +0000   1578616200 1578616200000|1 1st Jan January 1 1st 10 10th 10 10th 010 5 5th Fr Fri Friday 5 5 2 2nd 02 2 2nd 02|20 2020 02020 +002020 20 2020 02020 20 2020 02020|AM am 12 12 24 24 1230 123000 030 03000|0 00 0000 000000000|AD Anno Domini 2020 2020 2020th|12:30:00 AM/12:30 AM/01/10/2020/January 10, 2020/January 10, 2020 12:30 AM/Friday, January 10, 2020 12:30 AM/1/10/2020/Jan 10, 2020/Jan 10, 2020 12:30 AM/Fri, Jan 10, 2020 12:30 AM",
    ),
    (
        "NY last ms of EST before spring forward",
        1_615_705_199_999.0,
        "America/New_York",
        "2021-03-14 01:59:59.999 -05:00 -0500 EST EST 1615705199 1615705199999|3 3rd Mar March 1 1st 14 14th 73 73rd 073 0 0th Su Sun Sunday 0 7 12 12th 12 10 10th 10|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 1 01 1 01 159 15959 159 15959|9 99 9990 999000000|AD Anno Domini 2021 2021 2021st|1:59:59 AM/1:59 AM/03/14/2021/March 14, 2021/March 14, 2021 1:59 AM/Sunday, March 14, 2021 1:59 AM/3/14/2021/Mar 14, 2021/Mar 14, 2021 1:59 AM/Sun, Mar 14, 2021 1:59 AM",
    ),
    (
        "NY first ms of EDT",
        1_615_705_200_000.0,
        "America/New_York",
        "2021-03-14 03:00:00.000 -04:00 -0400 EDT EDT 1615705200 1615705200000|3 3rd Mar March 1 1st 14 14th 73 73rd 073 0 0th Su Sun Sunday 0 7 12 12th 12 10 10th 10|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 3 03 3 03 300 30000 300 30000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|3:00:00 AM/3:00 AM/03/14/2021/March 14, 2021/March 14, 2021 3:00 AM/Sunday, March 14, 2021 3:00 AM/3/14/2021/Mar 14, 2021/Mar 14, 2021 3:00 AM/Sun, Mar 14, 2021 3:00 AM",
    ),
    (
        "NY fall back, first 01:xx (EDT)",
        1_636_263_000_000.0,
        "America/New_York",
        "2021-11-07 01:30:00.000 -04:00 -0400 EDT EDT 1636263000 1636263000000|11 11th Nov November 4 4th 7 7th 311 311th 311 0 0th Su Sun Sunday 0 7 46 46th 46 44 44th 44|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 1 01 1 01 130 13000 130 13000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|1:30:00 AM/1:30 AM/11/07/2021/November 7, 2021/November 7, 2021 1:30 AM/Sunday, November 7, 2021 1:30 AM/11/7/2021/Nov 7, 2021/Nov 7, 2021 1:30 AM/Sun, Nov 7, 2021 1:30 AM",
    ),
    (
        "NY fall back, second 01:xx (EST)",
        1_636_266_600_000.0,
        "America/New_York",
        "2021-11-07 01:30:00.000 -05:00 -0500 EST EST 1636266600 1636266600000|11 11th Nov November 4 4th 7 7th 311 311th 311 0 0th Su Sun Sunday 0 7 46 46th 46 44 44th 44|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 1 01 1 01 130 13000 130 13000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|1:30:00 AM/1:30 AM/11/07/2021/November 7, 2021/November 7, 2021 1:30 AM/Sunday, November 7, 2021 1:30 AM/11/7/2021/Nov 7, 2021/Nov 7, 2021 1:30 AM/Sun, Nov 7, 2021 1:30 AM",
    ),
    (
        "Berlin CET->CEST",
        1_616_893_200_000.0,
        "Europe/Berlin",
        "2021-03-28 03:00:00.000 +02:00 +0200 CEST CEST 1616893200 1616893200000|3 3rd Mar March 1 1st 28 28th 87 87th 087 0 0th Su Sun Sunday 0 7 14 14th 14 12 12th 12|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 3 03 3 03 300 30000 300 30000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|3:00:00 AM/3:00 AM/03/28/2021/March 28, 2021/March 28, 2021 3:00 AM/Sunday, March 28, 2021 3:00 AM/3/28/2021/Mar 28, 2021/Mar 28, 2021 3:00 AM/Sun, Mar 28, 2021 3:00 AM",
    ),
    (
        "Sydney AEDT->AEST",
        1_617_465_600_000.0,
        "Australia/Sydney",
        "2021-04-04 02:00:00.000 +10:00 +1000 AEST AEST 1617465600 1617465600000|4 4th Apr April 2 2nd 4 4th 94 94th 094 0 0th Su Sun Sunday 0 7 15 15th 15 13 13th 13|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 2 02 2 02 200 20000 200 20000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|2:00:00 AM/2:00 AM/04/04/2021/April 4, 2021/April 4, 2021 2:00 AM/Sunday, April 4, 2021 2:00 AM/4/4/2021/Apr 4, 2021/Apr 4, 2021 2:00 AM/Sun, Apr 4, 2021 2:00 AM",
    ),
    (
        "Dublin winter (negative DST, GMT)",
        1_610_712_000_000.0,
        "Europe/Dublin",
        "2021-01-15 12:00:00.000 +00:00 +0000 GMT GMT 1610712000 1610712000000|1 1st Jan January 1 1st 15 15th 15 15th 015 5 5th Fr Fri Friday 5 5 3 3rd 03 2 2nd 02|21 2021 02021 +002021 21 2021 02021 21 2021 02021|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|12:00:00 PM/12:00 PM/01/15/2021/January 15, 2021/January 15, 2021 12:00 PM/Friday, January 15, 2021 12:00 PM/1/15/2021/Jan 15, 2021/Jan 15, 2021 12:00 PM/Fri, Jan 15, 2021 12:00 PM",
    ),
    (
        "Kathmandu +05:45",
        1_623_758_400_000.0,
        "Asia/Kathmandu",
        "2021-06-15 17:45:00.000 +05:45 +0545 +0545 +0545 1623758400 1623758400000|6 6th Jun June 2 2nd 15 15th 166 166th 166 2 2nd Tu Tue Tuesday 2 2 25 25th 25 24 24th 24|21 2021 02021 +002021 21 2021 02021 21 2021 02021|PM pm 5 05 17 17 545 54500 1745 174500|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|5:45:00 PM/5:45 PM/06/15/2021/June 15, 2021/June 15, 2021 5:45 PM/Tuesday, June 15, 2021 5:45 PM/6/15/2021/Jun 15, 2021/Jun 15, 2021 5:45 PM/Tue, Jun 15, 2021 5:45 PM",
    ),
    (
        "St Johns -02:30",
        1_623_758_400_000.0,
        "America/St_Johns",
        "2021-06-15 09:30:00.000 -02:30 -0230 NDT NDT 1623758400 1623758400000|6 6th Jun June 2 2nd 15 15th 166 166th 166 2 2nd Tu Tue Tuesday 2 2 25 25th 25 24 24th 24|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 9 09 9 09 930 93000 930 93000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|9:30:00 AM/9:30 AM/06/15/2021/June 15, 2021/June 15, 2021 9:30 AM/Tuesday, June 15, 2021 9:30 AM/6/15/2021/Jun 15, 2021/Jun 15, 2021 9:30 AM/Tue, Jun 15, 2021 9:30 AM",
    ),
    (
        "numeric abbreviation",
        1_623_758_400_000.0,
        "America/Sao_Paulo",
        "2021-06-15 09:00:00.000 -03:00 -0300 -03 -03 1623758400 1623758400000|6 6th Jun June 2 2nd 15 15th 166 166th 166 2 2nd Tu Tue Tuesday 2 2 25 25th 25 24 24th 24|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 9 09 9 09 900 90000 900 90000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|9:00:00 AM/9:00 AM/06/15/2021/June 15, 2021/June 15, 2021 9:00 AM/Tuesday, June 15, 2021 9:00 AM/6/15/2021/Jun 15, 2021/Jun 15, 2021 9:00 AM/Tue, Jun 15, 2021 9:00 AM",
    ),
    (
        "Etc/GMT+5 is UTC-5",
        1_623_758_400_000.0,
        "Etc/GMT+5",
        "2021-06-15 07:00:00.000 -05:00 -0500 -05 -05 1623758400 1623758400000|6 6th Jun June 2 2nd 15 15th 166 166th 166 2 2nd Tu Tue Tuesday 2 2 25 25th 25 24 24th 24|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 7 07 7 07 700 70000 700 70000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|7:00:00 AM/7:00 AM/06/15/2021/June 15, 2021/June 15, 2021 7:00 AM/Tuesday, June 15, 2021 7:00 AM/6/15/2021/Jun 15, 2021/Jun 15, 2021 7:00 AM/Tue, Jun 15, 2021 7:00 AM",
    ),
    (
        "Apia skipped 2011-12-30: day of year one short",
        1_325_325_600_000.0,
        "Pacific/Apia",
        "2012-01-01 00:00:00.000 +14:00 +1400 +14 +14 1325325600 1325325600000|1 1st Jan January 1 1st 1 1st 1 1st 001 0 0th Su Sun Sunday 0 7 1 1st 01 52 52nd 52|12 2012 02012 +002012 12 2012 02012 11 2011 02011|AM am 12 12 24 24 1200 120000 000 00000|0 00 0000 000000000|AD Anno Domini 2012 2012 2012th|12:00:00 AM/12:00 AM/01/01/2012/January 1, 2012/January 1, 2012 12:00 AM/Sunday, January 1, 2012 12:00 AM/1/1/2012/Jan 1, 2012/Jan 1, 2012 12:00 AM/Sun, Jan 1, 2012 12:00 AM",
    ),
    (
        "ISO week 53 of 2020, locale week 1 of 2021",
        1_609_502_400_000.0,
        "UTC",
        "2021-01-01 12:00:00.000 +00:00 +0000 UTC UTC 1609502400 1609502400000|1 1st Jan January 1 1st 1 1st 1 1st 001 5 5th Fr Fri Friday 5 5 1 1st 01 53 53rd 53|21 2021 02021 +002021 21 2021 02021 20 2020 02020|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|12:00:00 PM/12:00 PM/01/01/2021/January 1, 2021/January 1, 2021 12:00 PM/Friday, January 1, 2021 12:00 PM/1/1/2021/Jan 1, 2021/Jan 1, 2021 12:00 PM/Fri, Jan 1, 2021 12:00 PM",
    ),
    (
        "Sunday 2021-01-03: locale week 2, ISO week 53",
        1_609_675_200_000.0,
        "UTC",
        "2021-01-03 12:00:00.000 +00:00 +0000 UTC UTC 1609675200 1609675200000|1 1st Jan January 1 1st 3 3rd 3 3rd 003 0 0th Su Sun Sunday 0 7 2 2nd 02 53 53rd 53|21 2021 02021 +002021 21 2021 02021 20 2020 02020|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|12:00:00 PM/12:00 PM/01/03/2021/January 3, 2021/January 3, 2021 12:00 PM/Sunday, January 3, 2021 12:00 PM/1/3/2021/Jan 3, 2021/Jan 3, 2021 12:00 PM/Sun, Jan 3, 2021 12:00 PM",
    ),
    (
        "2024-12-30 Monday: ISO week 1 of 2025",
        1_735_560_000_000.0,
        "UTC",
        "2024-12-30 12:00:00.000 +00:00 +0000 UTC UTC 1735560000 1735560000000|12 12th Dec December 4 4th 30 30th 365 365th 365 1 1st Mo Mon Monday 1 1 1 1st 01 1 1st 01|24 2024 02024 +002024 25 2025 02025 25 2025 02025|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2024 2024 2024th|12:00:00 PM/12:00 PM/12/30/2024/December 30, 2024/December 30, 2024 12:00 PM/Monday, December 30, 2024 12:00 PM/12/30/2024/Dec 30, 2024/Dec 30, 2024 12:00 PM/Mon, Dec 30, 2024 12:00 PM",
    ),
    (
        "2027-01-01 Friday: ISO week 53 of 2026",
        1_798_804_800_000.0,
        "UTC",
        "2027-01-01 12:00:00.000 +00:00 +0000 UTC UTC 1798804800 1798804800000|1 1st Jan January 1 1st 1 1st 1 1st 001 5 5th Fr Fri Friday 5 5 1 1st 01 53 53rd 53|27 2027 02027 +002027 27 2027 02027 26 2026 02026|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2027 2027 2027th|12:00:00 PM/12:00 PM/01/01/2027/January 1, 2027/January 1, 2027 12:00 PM/Friday, January 1, 2027 12:00 PM/1/1/2027/Jan 1, 2027/Jan 1, 2027 12:00 PM/Fri, Jan 1, 2027 12:00 PM",
    ),
    (
        "2016-01-01 Friday: locale week 1 of 2016",
        1_451_649_600_000.0,
        "UTC",
        "2016-01-01 12:00:00.000 +00:00 +0000 UTC UTC 1451649600 1451649600000|1 1st Jan January 1 1st 1 1st 1 1st 001 5 5th Fr Fri Friday 5 5 1 1st 01 53 53rd 53|16 2016 02016 +002016 16 2016 02016 15 2015 02015|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2016 2016 2016th|12:00:00 PM/12:00 PM/01/01/2016/January 1, 2016/January 1, 2016 12:00 PM/Friday, January 1, 2016 12:00 PM/1/1/2016/Jan 1, 2016/Jan 1, 2016 12:00 PM/Fri, Jan 1, 2016 12:00 PM",
    ),
    (
        "2022-01-01 Saturday: locale week 1, ISO week 52 of 2021",
        1_641_081_599_999.0,
        "UTC",
        "2022-01-01 23:59:59.999 +00:00 +0000 UTC UTC 1641081599 1641081599999|1 1st Jan January 1 1st 1 1st 1 1st 001 6 6th Sa Sat Saturday 6 6 1 1st 01 52 52nd 52|22 2022 02022 +002022 22 2022 02022 21 2021 02021|PM pm 11 11 23 23 1159 115959 2359 235959|9 99 9990 999000000|AD Anno Domini 2022 2022 2022nd|11:59:59 PM/11:59 PM/01/01/2022/January 1, 2022/January 1, 2022 11:59 PM/Saturday, January 1, 2022 11:59 PM/1/1/2022/Jan 1, 2022/Jan 1, 2022 11:59 PM/Sat, Jan 1, 2022 11:59 PM",
    ),
    (
        "New Year in Tokyo while still 2021 in UTC",
        1_640_962_800_000.0,
        "Asia/Tokyo",
        "2022-01-01 00:00:00.000 +09:00 +0900 JST JST 1640962800 1640962800000|1 1st Jan January 1 1st 1 1st 1 1st 001 6 6th Sa Sat Saturday 6 6 1 1st 01 52 52nd 52|22 2022 02022 +002022 22 2022 02022 21 2021 02021|AM am 12 12 24 24 1200 120000 000 00000|0 00 0000 000000000|AD Anno Domini 2022 2022 2022nd|12:00:00 AM/12:00 AM/01/01/2022/January 1, 2022/January 1, 2022 12:00 AM/Saturday, January 1, 2022 12:00 AM/1/1/2022/Jan 1, 2022/Jan 1, 2022 12:00 AM/Sat, Jan 1, 2022 12:00 AM",
    ),
    (
        "midnight: 12 AM, k=24",
        1_622_505_600_000.0,
        "UTC",
        "2021-06-01 00:00:00.000 +00:00 +0000 UTC UTC 1622505600 1622505600000|6 6th Jun June 2 2nd 1 1st 152 152nd 152 2 2nd Tu Tue Tuesday 2 2 23 23rd 23 22 22nd 22|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 12 12 24 24 1200 120000 000 00000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|12:00:00 AM/12:00 AM/06/01/2021/June 1, 2021/June 1, 2021 12:00 AM/Tuesday, June 1, 2021 12:00 AM/6/1/2021/Jun 1, 2021/Jun 1, 2021 12:00 AM/Tue, Jun 1, 2021 12:00 AM",
    ),
    (
        "11:59 AM",
        1_622_635_199_000.0,
        "UTC",
        "2021-06-02 11:59:59.000 +00:00 +0000 UTC UTC 1622635199 1622635199000|6 6th Jun June 2 2nd 2 2nd 153 153rd 153 3 3rd We Wed Wednesday 3 3 23 23rd 23 22 22nd 22|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 11 11 11 11 1159 115959 1159 115959|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|11:59:59 AM/11:59 AM/06/02/2021/June 2, 2021/June 2, 2021 11:59 AM/Wednesday, June 2, 2021 11:59 AM/6/2/2021/Jun 2, 2021/Jun 2, 2021 11:59 AM/Wed, Jun 2, 2021 11:59 AM",
    ),
    (
        "noon: 12 PM",
        1_622_721_600_000.0,
        "UTC",
        "2021-06-03 12:00:00.000 +00:00 +0000 UTC UTC 1622721600 1622721600000|6 6th Jun June 2 2nd 3 3rd 154 154th 154 4 4th Th Thu Thursday 4 4 23 23rd 23 22 22nd 22|21 2021 02021 +002021 21 2021 02021 21 2021 02021|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|12:00:00 PM/12:00 PM/06/03/2021/June 3, 2021/June 3, 2021 12:00 PM/Thursday, June 3, 2021 12:00 PM/6/3/2021/Jun 3, 2021/Jun 3, 2021 12:00 PM/Thu, Jun 3, 2021 12:00 PM",
    ),
    (
        "1 PM",
        1_623_416_709_050.0,
        "UTC",
        "2021-06-11 13:05:09.050 +00:00 +0000 UTC UTC 1623416709 1623416709050|6 6th Jun June 2 2nd 11 11th 162 162nd 162 5 5th Fr Fri Friday 5 5 24 24th 24 23 23rd 23|21 2021 02021 +002021 21 2021 02021 21 2021 02021|PM pm 1 01 13 13 105 10509 1305 130509|0 05 0500 050000000|AD Anno Domini 2021 2021 2021st|1:05:09 PM/1:05 PM/06/11/2021/June 11, 2021/June 11, 2021 1:05 PM/Friday, June 11, 2021 1:05 PM/6/11/2021/Jun 11, 2021/Jun 11, 2021 1:05 PM/Fri, Jun 11, 2021 1:05 PM",
    ),
    (
        "23:59",
        1_623_542_340_007.0,
        "UTC",
        "2021-06-12 23:59:00.007 +00:00 +0000 UTC UTC 1623542340 1623542340007|6 6th Jun June 2 2nd 12 12th 163 163rd 163 6 6th Sa Sat Saturday 6 6 24 24th 24 23 23rd 23|21 2021 02021 +002021 21 2021 02021 21 2021 02021|PM pm 11 11 23 23 1159 115900 2359 235900|0 00 0070 007000000|AD Anno Domini 2021 2021 2021st|11:59:00 PM/11:59 PM/06/12/2021/June 12, 2021/June 12, 2021 11:59 PM/Saturday, June 12, 2021 11:59 PM/6/12/2021/Jun 12, 2021/Jun 12, 2021 11:59 PM/Sat, Jun 12, 2021 11:59 PM",
    ),
    (
        "21st",
        1_624_262_400_000.0,
        "UTC",
        "2021-06-21 08:00:00.000 +00:00 +0000 UTC UTC 1624262400 1624262400000|6 6th Jun June 2 2nd 21 21st 172 172nd 172 1 1st Mo Mon Monday 1 1 26 26th 26 25 25th 25|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 8 08 8 08 800 80000 800 80000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|8:00:00 AM/8:00 AM/06/21/2021/June 21, 2021/June 21, 2021 8:00 AM/Monday, June 21, 2021 8:00 AM/6/21/2021/Jun 21, 2021/Jun 21, 2021 8:00 AM/Mon, Jun 21, 2021 8:00 AM",
    ),
    (
        "22nd",
        1_624_348_800_000.0,
        "UTC",
        "2021-06-22 08:00:00.000 +00:00 +0000 UTC UTC 1624348800 1624348800000|6 6th Jun June 2 2nd 22 22nd 173 173rd 173 2 2nd Tu Tue Tuesday 2 2 26 26th 26 25 25th 25|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 8 08 8 08 800 80000 800 80000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|8:00:00 AM/8:00 AM/06/22/2021/June 22, 2021/June 22, 2021 8:00 AM/Tuesday, June 22, 2021 8:00 AM/6/22/2021/Jun 22, 2021/Jun 22, 2021 8:00 AM/Tue, Jun 22, 2021 8:00 AM",
    ),
    (
        "13th",
        1_623_571_200_000.0,
        "UTC",
        "2021-06-13 08:00:00.000 +00:00 +0000 UTC UTC 1623571200 1623571200000|6 6th Jun June 2 2nd 13 13th 164 164th 164 0 0th Su Sun Sunday 0 7 25 25th 25 23 23rd 23|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 8 08 8 08 800 80000 800 80000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|8:00:00 AM/8:00 AM/06/13/2021/June 13, 2021/June 13, 2021 8:00 AM/Sunday, June 13, 2021 8:00 AM/6/13/2021/Jun 13, 2021/Jun 13, 2021 8:00 AM/Sun, Jun 13, 2021 8:00 AM",
    ),
    (
        "31st, day 365",
        1_640_937_600_000.0,
        "UTC",
        "2021-12-31 08:00:00.000 +00:00 +0000 UTC UTC 1640937600 1640937600000|12 12th Dec December 4 4th 31 31st 365 365th 365 5 5th Fr Fri Friday 5 5 1 1st 01 52 52nd 52|21 2021 02021 +002021 22 2022 02022 21 2021 02021|AM am 8 08 8 08 800 80000 800 80000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|8:00:00 AM/8:00 AM/12/31/2021/December 31, 2021/December 31, 2021 8:00 AM/Friday, December 31, 2021 8:00 AM/12/31/2021/Dec 31, 2021/Dec 31, 2021 8:00 AM/Fri, Dec 31, 2021 8:00 AM",
    ),
    (
        "leap day, day 60",
        1_709_193_600_000.0,
        "UTC",
        "2024-02-29 08:00:00.000 +00:00 +0000 UTC UTC 1709193600 1709193600000|2 2nd Feb February 1 1st 29 29th 60 60th 060 4 4th Th Thu Thursday 4 4 9 9th 09 9 9th 09|24 2024 02024 +002024 24 2024 02024 24 2024 02024|AM am 8 08 8 08 800 80000 800 80000|0 00 0000 000000000|AD Anno Domini 2024 2024 2024th|8:00:00 AM/8:00 AM/02/29/2024/February 29, 2024/February 29, 2024 8:00 AM/Thursday, February 29, 2024 8:00 AM/2/29/2024/Feb 29, 2024/Feb 29, 2024 8:00 AM/Thu, Feb 29, 2024 8:00 AM",
    ),
    (
        "LMT offset with seconds",
        -5_364_662_400_000.0,
        "America/New_York",
        "1799-12-31 19:03:58.000 -04:56 -0456 LMT LMT -5364662400 -5364662400000|12 12th Dec December 4 4th 31 31st 365 365th 365 2 2nd Tu Tue Tuesday 2 2 1 1st 01 1 1st 01|99 1799 01799 +001799 00 1800 01800 00 1800 01800|PM pm 7 07 19 19 703 70358 1903 190358|0 00 0000 000000000|AD Anno Domini 1799 1799 1799th|7:03:58 PM/7:03 PM/12/31/1799/December 31, 1799/December 31, 1799 7:03 PM/Tuesday, December 31, 1799 7:03 PM/12/31/1799/Dec 31, 1799/Dec 31, 1799 7:03 PM/Tue, Dec 31, 1799 7:03 PM",
    ),
    (
        "LMT under 16 minutes",
        -5_364_662_400_000.0,
        "Europe/Madrid",
        "1799-12-31 23:45:16.000 -00:14 -0014 LMT LMT -5364662400 -5364662400000|12 12th Dec December 4 4th 31 31st 365 365th 365 2 2nd Tu Tue Tuesday 2 2 1 1st 01 1 1st 01|99 1799 01799 +001799 00 1800 01800 00 1800 01800|PM pm 11 11 23 23 1145 114516 2345 234516|0 00 0000 000000000|AD Anno Domini 1799 1799 1799th|11:45:16 PM/11:45 PM/12/31/1799/December 31, 1799/December 31, 1799 11:45 PM/Tuesday, December 31, 1799 11:45 PM/12/31/1799/Dec 31, 1799/Dec 31, 1799 11:45 PM/Tue, Dec 31, 1799 11:45 PM",
    ),
    (
        "LMT fraction, Amsterdam (Brussels)",
        -3_773_779_199_877.0,
        "Europe/Amsterdam",
        "1850-06-01 00:17:30.123 +00:17 +0017 LMT LMT -3773779200 -3773779199877|6 6th Jun June 2 2nd 1 1st 152 152nd 152 6 6th Sa Sat Saturday 6 6 22 22nd 22 22 22nd 22|50 1850 01850 +001850 50 1850 01850 50 1850 01850|AM am 12 12 24 24 1217 121730 017 01730|1 12 1230 123000000|AD Anno Domini 1850 1850 1850th|12:17:30 AM/12:17 AM/06/01/1850/June 1, 1850/June 1, 1850 12:17 AM/Saturday, June 1, 1850 12:17 AM/6/1/1850/Jun 1, 1850/Jun 1, 1850 12:17 AM/Sat, Jun 1, 1850 12:17 AM",
    ),
    (
        "DST past 2099 (moment data runs to 2499)",
        10_429_473_600_000.0,
        "America/New_York",
        "2300-07-01 08:00:00.000 -04:00 -0400 EDT EDT 10429473600 10429473600000|7 7th Jul July 3 3rd 1 1st 182 182nd 182 0 0th Su Sun Sunday 0 7 27 27th 27 26 26th 26|00 2300 02300 +002300 00 2300 02300 00 2300 02300|AM am 8 08 8 08 800 80000 800 80000|0 00 0000 000000000|AD Anno Domini 2300 2300 2300th|8:00:00 AM/8:00 AM/07/01/2300/July 1, 2300/July 1, 2300 8:00 AM/Sunday, July 1, 2300 8:00 AM/7/1/2300/Jul 1, 2300/Jul 1, 2300 8:00 AM/Sun, Jul 1, 2300 8:00 AM",
    ),
    (
        "after 2499: last offset forever",
        19_896_580_800_000.0,
        "America/New_York",
        "2600-07-01 07:00:00.000 -05:00 -0500 EST EST 19896580800 19896580800000|7 7th Jul July 3 3rd 1 1st 182 182nd 182 2 2nd Tu Tue Tuesday 2 2 27 27th 27 27 27th 27|00 2600 02600 +002600 00 2600 02600 00 2600 02600|AM am 7 07 7 07 700 70000 700 70000|0 00 0000 000000000|AD Anno Domini 2600 2600 2600th|7:00:00 AM/7:00 AM/07/01/2600/July 1, 2600/July 1, 2600 7:00 AM/Tuesday, July 1, 2600 7:00 AM/7/1/2600/Jul 1, 2600/Jul 1, 2600 7:00 AM/Tue, Jul 1, 2600 7:00 AM",
    ),
    (
        "southern hemisphere past 2100",
        8_837_164_800_000.0,
        "Australia/Sydney",
        "2250-01-15 11:00:00.000 +11:00 +1100 AEDT AEDT 8837164800 8837164800000|1 1st Jan January 1 1st 15 15th 15 15th 015 2 2nd Tu Tue Tuesday 2 2 3 3rd 03 3 3rd 03|50 2250 02250 +002250 50 2250 02250 50 2250 02250|AM am 11 11 11 11 1100 110000 1100 110000|0 00 0000 000000000|AD Anno Domini 2250 2250 2250th|11:00:00 AM/11:00 AM/01/15/2250/January 15, 2250/January 15, 2250 11:00 AM/Tuesday, January 15, 2250 11:00 AM/1/15/2250/Jan 15, 2250/Jan 15, 2250 11:00 AM/Tue, Jan 15, 2250 11:00 AM",
    ),
    (
        "Moldova on EU transition times (tzdata 2026)",
        1_743_294_600_000.0,
        "Europe/Chisinau",
        "2025-03-30 02:30:00.000 +02:00 +0200 EET EET 1743294600 1743294600000|3 3rd Mar March 1 1st 30 30th 89 89th 089 0 0th Su Sun Sunday 0 7 14 14th 14 13 13th 13|25 2025 02025 +002025 25 2025 02025 25 2025 02025|AM am 2 02 2 02 230 23000 230 23000|0 00 0000 000000000|AD Anno Domini 2025 2025 2025th|2:30:00 AM/2:30 AM/03/30/2025/March 30, 2025/March 30, 2025 2:30 AM/Sunday, March 30, 2025 2:30 AM/3/30/2025/Mar 30, 2025/Mar 30, 2025 2:30 AM/Sun, Mar 30, 2025 2:30 AM",
    ),
    (
        "British Columbia on permanent -07 MST (tzdata 2026)",
        1_800_014_400_000.0,
        "America/Vancouver",
        "2027-01-15 05:00:00.000 -07:00 -0700 MST MST 1800014400 1800014400000|1 1st Jan January 1 1st 15 15th 15 15th 015 5 5th Fr Fri Friday 5 5 3 3rd 03 2 2nd 02|27 2027 02027 +002027 27 2027 02027 27 2027 02027|AM am 5 05 5 05 500 50000 500 50000|0 00 0000 000000000|AD Anno Domini 2027 2027 2027th|5:00:00 AM/5:00 AM/01/15/2027/January 15, 2027/January 15, 2027 5:00 AM/Friday, January 15, 2027 5:00 AM/1/15/2027/Jan 15, 2027/Jan 15, 2027 5:00 AM/Fri, Jan 15, 2027 5:00 AM",
    ),
    (
        "year 0 (1 BC)",
        -62_152_876_800_000.0,
        "UTC",
        "0000-06-15 00:00:00.000 +00:00 +0000 UTC UTC -62152876800 -62152876800000|6 6th Jun June 2 2nd 15 15th 167 167th 167 4 4th Th Thu Thursday 4 4 25 25th 25 24 24th 24|00 0000 00000 +000000 00 0000 00000 00 0000 00000|AM am 12 12 24 24 1200 120000 000 00000|0 00 0000 000000000|BC Before Christ 1 01 1st|12:00:00 AM/12:00 AM/06/15/0000/June 15, 0000/June 15, 0000 12:00 AM/Thursday, June 15, 0000 12:00 AM/6/15/0000/Jun 15, 0000/Jun 15, 0000 12:00 AM/Thu, Jun 15, 0000 12:00 AM",
    ),
    (
        "year 1 AD",
        -62_135_596_800_000.0,
        "UTC",
        "0001-01-01 00:00:00.000 +00:00 +0000 UTC UTC -62135596800 -62135596800000|1 1st Jan January 1 1st 1 1st 1 1st 001 1 1st Mo Mon Monday 1 1 1 1st 01 1 1st 01|01 0001 00001 +000001 01 0001 00001 01 0001 00001|AM am 12 12 24 24 1200 120000 000 00000|0 00 0000 000000000|AD Anno Domini 1 01 1st|12:00:00 AM/12:00 AM/01/01/0001/January 1, 0001/January 1, 0001 12:00 AM/Monday, January 1, 0001 12:00 AM/1/1/0001/Jan 1, 0001/Jan 1, 0001 12:00 AM/Mon, Jan 1, 0001 12:00 AM",
    ),
    (
        "first day AD in Tokyo: no era",
        -62_135_560_800_000.0,
        "Asia/Tokyo",
        "0001-01-01 19:18:59.000 +09:18 +0918 LMT LMT -62135560800 -62135560800000|1 1st Jan January 1 1st 1 1st 1 1st 001 1 1st Mo Mon Monday 1 1 1 1st 01 1 1st 01|01 0001 00001 +000001 01 0001 00001 01 0001 00001|PM pm 7 07 19 19 718 71859 1918 191859|0 00 0000 000000000|  1 01 1st|7:18:59 PM/7:18 PM/01/01/0001/January 1, 0001/January 1, 0001 7:18 PM/Monday, January 1, 0001 7:18 PM/1/1/0001/Jan 1, 0001/Jan 1, 0001 7:18 PM/Mon, Jan 1, 0001 7:18 PM",
    ),
    (
        "negative year",
        -66_043_277_632_911.0,
        "UTC",
        "-0123-03-04 05:06:07.089 +00:00 +0000 UTC UTC -66043277633 -66043277632911|3 3rd Mar March 1 1st 4 4th 63 63rd 063 0 0th Su Sun Sunday 0 7 10 10th 10 9 9th 09|-23 -0123 -00123 -000123 -23 -0123 -00123 -23 -0123 -00123|AM am 5 05 5 05 506 50607 506 50607|0 08 0890 089000000|BC Before Christ 124 124 124th|5:06:07 AM/5:06 AM/03/04/-0123/March 4, -0123/March 4, -0123 5:06 AM/Sunday, March 4, -0123 5:06 AM/3/4/-0123/Mar 4, -0123/Mar 4, -0123 5:06 AM/Sun, Mar 4, -0123 5:06 AM",
    ),
    (
        "five-digit year",
        327_416_976_550_011.0,
        "UTC",
        "12345-06-07 08:09:10.011 +00:00 +0000 UTC UTC 327416976550 327416976550011|6 6th Jun June 2 2nd 7 7th 158 158th 158 4 4th Th Thu Thursday 4 4 23 23rd 23 23 23rd 23|45 +12345 12345 +012345 45 12345 12345 45 12345 12345|AM am 8 08 8 08 809 80910 809 80910|0 01 0110 011000000|AD Anno Domini 12345 12345 12345th|8:09:10 AM/8:09 AM/06/07/12345/June 7, 12345/June 7, 12345 8:09 AM/Thursday, June 7, 12345 8:09 AM/6/7/12345/Jun 7, 12345/Jun 7, 12345 8:09 AM/Thu, Jun 7, 12345 8:09 AM",
    ),
    (
        "end of the Date range",
        8_640_000_000_000_000.0,
        "America/New_York",
        "275760-09-12 19:00:00.000 -05:00 -0500 EST EST 8640000000000 8640000000000000|9 9th Sep September 3 3rd 12 12th 256 256th 256 5 5th Fr Fri Friday 5 5 37 37th 37 37 37th 37|60 +275760 275760 +275760 60 275760 275760 60 275760 275760|PM pm 7 07 19 19 700 70000 1900 190000|0 00 0000 000000000|AD Anno Domini 275760 275760 275760th|7:00:00 PM/7:00 PM/09/12/275760/September 12, 275760/September 12, 275760 7:00 PM/Friday, September 12, 275760 7:00 PM/9/12/275760/Sep 12, 275760/Sep 12, 275760 7:00 PM/Fri, Sep 12, 275760 7:00 PM",
    ),
    (
        "start of the Date range, first day of year is NaN",
        -8_639_999_956_800_000.0,
        "UTC",
        "-271821-04-20 12:00:00.000 +00:00 +0000 UTC UTC -8639999956800 -8639999956800000|4 4th Apr April 2 2nd 20 20th NaN NaNth -NaN 2 2nd Tu Tue Tuesday 2 2 NaN NaNth -NaN NaN NaNth -NaN|-21 -271821 -271821 -271821 -21 -271821 -271821 -21 -271821 -271821|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|BC Before Christ 271822 271822 271822nd|12:00:00 PM/12:00 PM/04/20/-271821/April 20, -271821/April 20, -271821 12:00 PM/Tuesday, April 20, -271821 12:00 PM/4/20/-271821/Apr 20, -271821/Apr 20, -271821 12:00 PM/Tue, Apr 20, -271821 12:00 PM",
    ),
];
/// (format, zone, output) at 2020-01-10T00:30:00.000Z; `THROW:` marks the reference's error message.
const QUIRKS: &[(&str, &str, &str)] = &[
    ("", "UTC", "2020-01-10T00:30:00Z"),
    ("", "Asia/Tokyo", "2020-01-10T09:30:00+09:00"),
    ("", "Nope/Zone", "2020-01-10T00:30:00+00:00"),
    ("YYYYMMDD", "UTC", "20200110"),
    ("YYYYMMDD-HHmmss", "UTC", "20200110-003000"),
    ("YYYYMMDD-HHmmss", "Asia/Tokyo", "20200110-093000"),
    ("YYYYMMDD-HHmmss", "Nope/Zone", "20200110-003000"),
    (
        "YYYY-MM-DDTHH:mm:ss.SSS[Z]",
        "UTC",
        "2020-01-10T00:30:00.000Z",
    ),
    ("[Today is] dddd", "UTC", "Today is Friday"),
    ("[a]b]", "UTC", "a]b"),
    ("[]x", "UTC", "1578616200000"),
    ("[", "UTC", "["),
    ("[[x]", "UTC", "[x"),
    ("\\\\YYYY\\", "UTC", "2020"),
    ("\\YYYY \\[MM]", "UTC", "YYYY [01]"),
    ("\\LT [LT] \\[LT]", "UTC", "LT LT [LT]"),
    ("YYY", "UTC", "202020"),
    ("ggg GGG g G", "UTC", "20g 20G g G"),
    ("w| W|", "UTC", "w| W|"),
    ("a\nb", "UTC", "amb"),
    ("[a\nb]", "UTC", "a\nb"),
    (
        "\n",
        "UTC",
        "THROW:Cannot read properties of null (reading 'length')",
    ),
    (
        "\r\u{2028}",
        "UTC",
        "THROW:Cannot read properties of null (reading 'length')",
    ),
    (
        "LLLLL lllll LLT",
        "UTC",
        "Friday, January 10, 2020 12:30 AM01/10/2020 Fri, Jan 10, 2020 12:30 AM1/10/2020 January 10, 2020T",
    ),
    (
        "Hmm hmm Hmmss hmmss HHmm",
        "UTC",
        "030 1230 03000 123000 0030",
    ),
    (
        "yyyy yo N NN NNN NNNN NNNNN",
        "UTC",
        "2020 2020th AD AD AD Anno Domini AD",
    ),
    ("constructor", "UTC", "1578616200000"),
    ("constructor", "Asia/Tokyo", "1578616200000"),
    ("constructor", "Nope/Zone", "1578616200000"),
    ("toString", "UTC", "[object Object]"),
    ("valueOf", "UTC", "vam1/10/2020u5Of"),
    ("hasOwnProperty", "UTC", "false"),
    ("isPrototypeOf", "UTC", "false"),
    ("__proto__", "UTC", "THROW:V1[M] is not a function"),
    (
        "__defineGetter__",
        "UTC",
        "THROW:Object.prototype.__defineGetter__: Expecting function",
    ),
    (
        "__defineSetter__",
        "UTC",
        "THROW:Object.prototype.__defineSetter__: Expecting function",
    ),
    ("__lookupGetter__", "UTC", "__1/10/2020oo24upG5tt5r__"),
    (
        "propertyIsEnumerable",
        "UTC",
        "prop5rt2020I05nu305ramb1/10/20205",
    ),
    (
        "qBcfijnpqrtuvJKOPRTUV!@#$%^&*()_+=",
        "UTC",
        "qBcfijnpqrtuvJKOPRTUV!@#$%^&*()_+=",
    ),
    ("\u{e9}\u{1f600} YYYY", "UTC", "\u{e9}\u{1f600} 2020"),
    (
        "MoMMMoMMMMo DoDDo DDDDo",
        "UTC",
        "1stJanoJanuaryo 10th10o 010o",
    ),
    ("SSSSSSSSSS", "UTC", "0000000000"),
    ("NNNNNN", "UTC", "ADAD"),
    ("zzz ZZZ", "UTC", "UTCUTC +0000+00:00"),
    ("zzz ZZZ", "Asia/Tokyo", "JSTJST +0900+09:00"),
    ("zzz ZZZ", "Nope/Zone", " +0000+00:00"),
    ("X.x", "UTC", "1578616200.1578616200000"),
    ("X.x", "Asia/Tokyo", "1578616200.1578616200000"),
    ("X.x", "Nope/Zone", "1578616200.1578616200000"),
];
/// (zone name, `YYYY-MM-DD HH:mm Z z zz` at the fixture instant, or `THROW:` message).
const ZONE_NAMES: &[(&str, &str)] = &[
    ("UTC", "2020-01-10 00:30 +00:00 UTC UTC"),
    ("utc", "2020-01-10 00:30 +00:00 UTC UTC"),
    ("Etc/UTC", "2020-01-10 00:30 +00:00 UTC UTC"),
    ("GMT", "2020-01-10 00:30 +00:00 GMT GMT"),
    ("gmt", "2020-01-10 00:30 +00:00 GMT GMT"),
    ("Z", "2020-01-10 00:30 +00:00  "),
    ("z", "2020-01-10 00:30 +00:00  "),
    ("Zulu", "2020-01-10 00:30 +00:00 UTC UTC"),
    ("UCT", "2020-01-10 00:30 +00:00 UTC UTC"),
    ("Universal", "2020-01-10 00:30 +00:00 UTC UTC"),
    ("Etc/GMT+5", "2020-01-09 19:30 -05:00 -05 -05"),
    ("etc/gmt-14", "2020-01-10 14:30 +14:00 +14 +14"),
    ("US/Eastern", "2020-01-09 19:30 -05:00 EST EST"),
    ("us_eastern", "2020-01-09 19:30 -05:00 EST EST"),
    ("America_New_York", "2020-01-09 19:30 -05:00 EST EST"),
    ("AMERICA/NEW_YORK", "2020-01-09 19:30 -05:00 EST EST"),
    ("America/New York", "2020-01-10 00:30 +00:00  "),
    (" UTC", "2020-01-10 00:30 +00:00  "),
    ("EST", "2020-01-09 19:30 -05:00 EST EST"),
    ("EST5EDT", "2020-01-09 19:30 -05:00 EST EST"),
    ("Asia/Calcutta", "2020-01-10 06:00 +05:30 IST IST"),
    ("Asia/Kolkata", "2020-01-10 06:00 +05:30 IST IST"),
    ("\u{212a}olkata", "2020-01-10 00:30 +00:00  "),
    ("Asia/\u{212a}olkata", "2020-01-10 06:00 +05:30 IST IST"),
    ("Europe/Kyiv", "2020-01-10 02:30 +02:00 EET EET"),
    ("Europe/Kiev", "2020-01-10 02:30 +02:00 EET EET"),
    ("America/Ciudad_Juarez", "2020-01-09 17:30 -07:00 MST MST"),
    ("America/Coyhaique", "2020-01-09 21:30 -03:00 -03 -03"),
    ("Local", "2020-01-10 00:30 +00:00  "),
    ("local", "2020-01-10 00:30 +00:00  "),
    ("+09:00", "2020-01-10 00:30 +00:00  "),
    ("Factory", "2020-01-10 00:30 +00:00  "),
    ("CET", "2020-01-10 01:30 +01:00 CET CET"),
    ("WET", "2020-01-10 00:30 +00:00 WET WET"),
    ("toString", "2020-01-10 00:30 +00:00  "),
    ("hasOwnProperty", "2020-01-10 00:30 +00:00  "),
    (
        "",
        "THROW:Cannot read properties of undefined (reading 'format')",
    ),
    (
        "constructor",
        "THROW:(R || \"\").toLowerCase is not a function",
    ),
    (
        "Constructor",
        "THROW:(R || \"\").toLowerCase is not a function",
    ),
    (
        "__proto__",
        "THROW:(R || \"\").toLowerCase is not a function",
    ),
];
#[test]
fn every_token_matches_moment() {
    for (comment, ms, zone_name, want) in ALL_TOKENS {
        assert_eq!(helper(*ms, zone_name, FMT_ALL), *want, "{comment}");
    }
}

#[test]
fn format_quirks_match_moment() {
    for (fmt, zone_name, want) in QUIRKS {
        assert_eq!(
            helper(1_578_616_200_000.0, zone_name, fmt),
            *want,
            "{fmt:?} in {zone_name}"
        );
    }
}

#[test]
fn zone_names_resolve_like_moment_timezone() {
    for (name, want) in ZONE_NAMES {
        assert_eq!(
            helper(1_578_616_200_000.0, name, "YYYY-MM-DD HH:mm Z z zz"),
            *want,
            "{name:?}"
        );
    }
}

/// metadata-action's own test expectations (`__tests__/meta.test.ts`, fixture instant
/// 2020-01-10T00:30:00.000Z for both `date` and `commit_date`).
#[test]
fn metadata_action_test_expectations() {
    let now = parse_js_date("2020-01-10T00:30:00.000Z");
    let utc = Zone::utc();
    let tokyo = zone("Asia/Tokyo").unwrap_or(Zone::LocalUtc);
    assert_eq!(format(now, &utc, "YYYYMMDD"), Ok("20200110".to_owned()));
    assert_eq!(
        format(now, &tokyo, "YYYYMMDD-HHmmss"),
        Ok("20200110-093000".to_owned())
    );
    assert_eq!(
        format(now, &utc, "YYYY-MM-DDTHH:mm:ss.SSS[Z]"),
        Ok("2020-01-10T00:30:00.000Z".to_owned())
    );
    // `{{commit_date YYYY-MM-DD-HHmmSS}}` (unquoted): Handlebars passes `undefined`, which
    // moment formats with its default format, like "".
    assert_eq!(format(now, &utc, ""), Ok("2020-01-10T00:30:00Z".to_owned()));
    assert_eq!(
        to_iso_string(now),
        Some("2020-01-10T00:30:00.000Z".to_owned())
    );
}

#[test]
fn commit_dates_from_payloads_and_git() {
    let want = 1_650_361_175_000.0; // 2022-04-19T09:39:35Z
    // Webhook payload `timestamp`, GitHub API `committer.date`.
    assert!(same_number(
        parse_js_date("2022-04-19T11:39:35+02:00"),
        want
    ));
    assert!(same_number(parse_js_date("2022-04-19T09:39:35Z"), want));
    // `git show -s --format="%ci"`: the quotes are part of the output, V8 skips them.
    assert!(same_number(
        parse_js_date("\"2022-04-19 11:39:35 +0200\""),
        want
    ));
    assert!(same_number(
        parse_js_date("2022-04-19 11:39:35 +0200"),
        want
    ));
    // An offset-less date-time is local time (UTC on the runner); a date alone is UTC.
    assert!(same_number(parse_js_date("2022-04-19T09:39:35"), want));
    assert!(same_number(
        parse_js_date("2022-04-19"),
        1_650_326_400_000.0
    ));
    assert!(parse_js_date("").is_nan());
    assert!(parse_js_date("not a date").is_nan());
}

#[test]
fn unknown_zone_formats_in_local_mode_with_a_warning() {
    let resolved = resolve_helper_zone("Mars/Olympus");
    assert_eq!(
        resolved,
        Ok(ResolvedZone {
            zone: Zone::LocalUtc,
            warning: Some(
                "Moment Timezone has no data for Mars/Olympus. See http://momentjs.com/timezone/docs/#/data-loading/."
                    .to_owned()
            ),
        })
    );
    assert_eq!(zone("Mars/Olympus"), None);
    let utc = resolve_helper_zone("UTC").map(|r| r.warning);
    assert_eq!(utc, Ok(None));
    assert_eq!(
        format(0.0, &Zone::LocalUtc, "z|zz|Z|ZZ"),
        Ok("||+00:00|+0000".to_owned())
    );
    assert_eq!(
        format(0.0, &Zone::utc(), "z|zz|Z|ZZ"),
        Ok("UTC|UTC|+00:00|+0000".to_owned())
    );
}

#[test]
fn failing_helper_calls_carry_the_reference_message() {
    assert_eq!(resolve_helper_zone(""), Err(MomentError::EmptyZoneName));
    let err = resolve_helper_zone("constructor").err();
    assert_eq!(
        err.as_ref().map(MomentError::js_message),
        Some("(R || \"\").toLowerCase is not a function")
    );
    assert_eq!(
        err.map(|e| e.to_string()),
        Some(
            "time zone `constructor` cannot be looked up: (R || \"\").toLowerCase is not a function"
                .to_owned()
        )
    );
    let err = format(0.0, &Zone::utc(), "\n").err();
    assert_eq!(
        err.map(|e| e.to_string()),
        Some(
            "date format `\n` cannot be formatted: Cannot read properties of null (reading 'length')"
                .to_owned()
        )
    );
}

#[test]
fn invalid_dates() {
    for ms in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 8.64e15 + 1.0] {
        assert_eq!(
            format(ms, &Zone::utc(), "YYYY"),
            Ok("Invalid date".to_owned())
        );
        assert_eq!(
            format(ms, &Zone::utc(), "__proto__"),
            Ok("Invalid date".to_owned())
        );
        assert_eq!(to_iso_string(ms), None);
        assert_eq!(to_js_date_string(ms), "Invalid Date");
    }
    // The wall time leaves the Date range: moment reports an invalid date.
    let tokyo = zone("Asia/Tokyo").unwrap_or(Zone::LocalUtc);
    assert_eq!(
        format(8.64e15, &tokyo, "YYYY"),
        Ok("Invalid date".to_owned())
    );
    assert_eq!(
        format(8.64e15, &Zone::utc(), "YYYY Y"),
        Ok("275760 +275760".to_owned())
    );
}

#[test]
fn english_ordinals() {
    let cases = [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (10, "10th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
        (0, "0th"),
    ];
    for (n, want) in cases {
        assert_eq!(ordinal(n), want);
    }
}

#[test]
fn day_of_month_ordinals_through_a_month() {
    let want = [
        "1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th", "11th", "12th",
        "13th", "14th", "15th", "16th", "17th", "18th", "19th", "20th", "21st", "22nd", "23rd",
        "24th", "25th", "26th", "27th", "28th", "29th", "30th", "31st",
    ];
    let jan1 = parse_js_date("2021-01-01T12:00:00Z");
    for (i, want) in want.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let ms = jan1 + i as f64 * MS_PER_DAY;
        assert_eq!(format(ms, &Zone::utc(), "Do"), Ok((*want).to_owned()));
    }
}

#[test]
fn twelve_hour_clock_edges() {
    let cases = [
        ("2021-06-01T00:00:00Z", "12 AM 00 24"),
        ("2021-06-01T00:59:00Z", "12 AM 00 24"),
        ("2021-06-01T01:00:00Z", "1 AM 01 1"),
        ("2021-06-01T11:59:00Z", "11 AM 11 11"),
        ("2021-06-01T12:00:00Z", "12 PM 12 12"),
        ("2021-06-01T12:59:00Z", "12 PM 12 12"),
        ("2021-06-01T13:00:00Z", "1 PM 13 13"),
        ("2021-06-01T23:59:00Z", "11 PM 23 23"),
    ];
    for (iso, want) in cases {
        assert_eq!(
            format(parse_js_date(iso), &Zone::utc(), "h A HH k"),
            Ok(want.to_owned()),
            "{iso}"
        );
    }
}

#[test]
fn week_years_at_year_boundaries() {
    // (instant, `gggg-[w]ww GGGG-[W]WW e E`), locale en: weeks start Sunday, week 1 holds
    // 1 January; ISO: weeks start Monday, week 1 holds 4 January.
    let cases = [
        ("2020-12-26T12:00:00Z", "2020-w52 2020-W52 6 6"),
        ("2020-12-27T12:00:00Z", "2021-w01 2020-W52 0 7"),
        ("2020-12-31T12:00:00Z", "2021-w01 2020-W53 4 4"),
        ("2021-01-03T12:00:00Z", "2021-w02 2020-W53 0 7"),
        ("2021-01-04T12:00:00Z", "2021-w02 2021-W01 1 1"),
        ("2024-12-30T12:00:00Z", "2025-w01 2025-W01 1 1"),
        ("2026-12-31T12:00:00Z", "2027-w01 2026-W53 4 4"),
        ("2027-01-01T12:00:00Z", "2027-w01 2026-W53 5 5"),
    ];
    for (iso, want) in cases {
        assert_eq!(
            format(
                parse_js_date(iso),
                &Zone::utc(),
                "gggg-[w]ww GGGG-[W]WW e E"
            ),
            Ok(want.to_owned()),
            "{iso}"
        );
    }
}

#[test]
fn dst_transitions_in_new_york() {
    let ny = zone("America/New_York").unwrap_or(Zone::LocalUtc);
    let cases = [
        (
            "2021-03-14T06:59:59.999Z",
            "2021-03-14 01:59:59.999 EST -05:00",
        ),
        (
            "2021-03-14T07:00:00.000Z",
            "2021-03-14 03:00:00.000 EDT -04:00",
        ),
        (
            "2021-11-07T05:59:59.999Z",
            "2021-11-07 01:59:59.999 EDT -04:00",
        ),
        (
            "2021-11-07T06:00:00.000Z",
            "2021-11-07 01:00:00.000 EST -05:00",
        ),
    ];
    for (iso, want) in cases {
        assert_eq!(
            format(parse_js_date(iso), &ny, "YYYY-MM-DD HH:mm:ss.SSS z Z"),
            Ok(want.to_owned()),
            "{iso}"
        );
    }
}

#[test]
fn no_panic_on_odd_input() {
    let formats = [
        "",
        "[",
        "]",
        "\\",
        "\\\\",
        "[[[]]]",
        "LLLLLLLLLL",
        "\u{0}",
        "😀\n\r",
        "YYYYYYYYYYYY",
        "gggggggggg",
        "SSSSSSSSSSSSSSSSSS",
        "x X z Z",
    ];
    let instants = [
        0.0,
        -0.0,
        1.5,
        -1.5,
        8.64e15,
        -8.64e15,
        8.64e15 - 1.0,
        -8.64e15 + 1.0,
        f64::NAN,
        f64::MAX,
        f64::MIN_POSITIVE,
    ];
    let zones = [
        Zone::utc(),
        Zone::LocalUtc,
        zone("Pacific/Kiritimati").unwrap_or(Zone::LocalUtc),
        zone("America/Adak").unwrap_or(Zone::LocalUtc),
    ];
    for fmt in formats {
        for ms in instants {
            for zone in &zones {
                let _ = format(ms, zone, fmt);
            }
        }
    }
    for input in [
        "(",
        "((",
        ")",
        "+",
        "-",
        "+-",
        "99999999999999999999",
        "-999999-01-01",
        "+999999-12-31T23:59:59Z",
        "1:2:3:4:5",
        "1.2.3.4",
        "12:00 pm pm",
        "\u{0}",
        "Jan Feb Mar",
        "2020-01-01 +9999999999:",
        "GMT+",
        "UTC-12345",
        "\u{feff}2020-01-01",
        "\u{10ffff}",
    ] {
        let _ = parse_js_date(input);
    }
}
