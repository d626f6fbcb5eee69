#!/usr/bin/python3
"""Writes jinja_cases.json: small templates with the output Python's jinja2 (3.1.2) gives, for
tests/text/jinja_test.cpp. Mode "plain" is jinja2's default Environment; mode "hf" is the chat
template environment of make_golden.py (trim_blocks, lstrip_blocks, loopcontrols, json.dumps tojson).
A case whose rendering raises records "error" (Python's message, for reference only).

  /usr/bin/python3 tests/text/golden/chat/make_jinja_cases.py
"""
import json
import os

import jinja2
import jinja2.ext

from make_golden import hf_environment

HERE = os.path.dirname(os.path.abspath(__file__))

V = {
    "s": "Hello World",
    "n": 7,
    "f": 2.5,
    "neg": -7,
    "empty": "",
    "t": True,
    "nothing": None,
    "xs": [3, 1, 2],
    "words": ["b", "A", "c", "a"],
    "d": {"b": 2, "a": 1, "c": [1, 2]},
    "msgs": [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": " hi "},
        {"role": "assistant", "content": "yo", "extra": None},
        {"role": "user", "content": "bye"},
    ],
    "u": "héllo wörld ß 你好",
    "pad": "  \t padded \n ",
}

# (template, mode); vars are V unless a third item gives them.
CASES = [
    # text, comments, whitespace control
    ("plain text only", "plain"),
    ("a {# comment #} b", "plain"),
    ("a\n{# c #}\nb", "plain"),
    ("a\n{# c #}\nb", "hf"),
    ("a  {#- c -#}  b", "plain"),
    ("line1\n", "plain"),
    ("line1\n\n", "plain"),
    ("crlf\r\nline\rx\r\n", "plain"),
    ("{{ 'x' }}\n", "hf"),
    ("a\n  {% if true %}\n  b\n  {% endif %}\nc", "plain"),
    ("a\n  {% if true %}\n  b\n  {% endif %}\nc", "hf"),
    ("a\n  {%+ if true %}\n  b\n  {% endif +%}\nc", "hf"),
    ("a\n  {%- if true -%}\n  b\n  {%- endif -%}\n  c", "plain"),
    ("x  {{- 'y' -}}  z", "plain"),
    ("x  {{- 'y' }}  z", "hf"),
    ("  {{ 'v' }}\n{% if true %}  t\n{% endif %}", "hf"),
    ("{% for i in xs %}\n  {{ i }}\n{% endfor %}\n", "hf"),
    ("{% for i in xs %}\n  {{ i }}\n{% endfor %}\n", "plain"),
    ("  {# note #}\nafter", "hf"),
    ("text {% if true %}inline{% endif %} text", "hf"),
    ("\t  {% if true %}yes{% endif %}  \n", "hf"),
    ("{% raw %}{{ not parsed }}{% endraw %}", "plain"),
    ("a\n  {%- raw -%}  {{ x }}  {%- endraw -%}  \nb", "plain"),
    # literals
    ("{{ 'a\\nb\\tc\\\\d\\'e\\\"f' }}", "plain"),
    ("{{ \"\\u00e9\\x41\\U0001F600\\101\" }}", "plain"),
    ("{{ 'unknown \\q escape' }}", "plain"),
    ("{{ 'adjacent' \"strings\" }}", "plain"),
    ("{{ 42 }} {{ 1_000 }} {{ 3.0 }} {{ 1e3 }} {{ 2.5e-3 }} {{ .5 if false else 0.5 }}", "plain"),
    ("{{ true }} {{ True }} {{ false }} {{ none }} {{ None }}", "plain"),
    ("{{ [1, 'a', none, true, 1.5, [2], {'k': 'v'}] }}", "plain"),
    ("{{ (1, 2) }} {{ (1,) }} {{ () }} {{ [] }} {{ {} }}", "plain"),
    ("{{ {'a': 1, 'b': [1, 2]} }}", "plain"),
    ("{{ \"it's\" }} {{ ['it\\'s', 'say \"hi\"', 'both \\' \"'] }}", "plain"),
    ("{{ ['tab\\there', 'nl\\nx', 'back\\\\slash', 'ctl\\x01'] }}", "plain"),
    ("{{ 1, 2 }}", "plain"),
    # floats
    ("{{ 0.1 + 0.2 }} {{ 1 / 3 }} {{ 10 / 2 }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ -0.0 }}", "plain"),
    ("{{ 123456789.125 }} {{ 1.5e300 * 1.0 }} {{ 2 ** -1 }} {{ 1e22 }} {{ 12345678901234567890.0 }}", "plain"),
    # arithmetic
    ("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** 3 ** 2 }}", "plain"),
    ("{{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 1 + 2 * 3 - 4 }} {{ (1 + 2) * 3 }} {{ -n }} {{ +n }} {{ - -n }}", "plain"),
    ("{{ 'ab' * 3 }} {{ 2 * 'xy' }} {{ [1] * 3 }} {{ 'a' * 0 }} {{ [1, 2] + [3] }}", "plain"),
    ("{{ true + 1 }} {{ n + f }} {{ n * 1.0 }} {{ n - 10 }}", "plain"),
    ("{{ 'a' ~ 1 ~ none ~ true ~ [1] ~ undefined_var }}", "plain"),
    ("{{ 'a' + 1 }}", "plain"),
    ("{{ 1 + 'a' }}", "plain"),
    ("{{ 1 / 0 }}", "plain"),
    ("{{ undefined_var + 1 }}", "plain"),
    # comparisons and logic
    ("{{ 1 == 1.0 }} {{ 1 == true }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}", "plain"),
    ("{{ 'a' in 'cat' }} {{ 2 in xs }} {{ 'a' in d }} {{ 'z' not in d }} {{ 5 not in xs }} {{ 'x' in undefined_var }}", "plain"),
    ("{{ none == none }} {{ undefined_var == undefined_var }} {{ undefined_var == none }} {{ msgs[0] == {'role': 'system', 'content': 'sys'} }}", "plain"),
    ("{{ 1 and 'x' }} {{ 0 and 'x' }} {{ '' or 'dflt' }} {{ 'v' or 'dflt' }} {{ not 0 }} {{ not 'a' }}", "plain"),
    ("{{ not 1 == 2 }} {{ not true and false }} {{ true or false and false }}", "plain"),
    ("{{ 'yes' if t else 'no' }} {{ 'yes' if nothing else 'no' }} [{{ 'only' if false }}]", "plain"),
    ("{{ 'a' if false else 'b' if false else 'c' }}", "plain"),
    ("{{ 1 < 'a' }}", "plain"),
    # undefined
    ("[{{ missing }}] {{ missing is defined }} {{ missing is undefined }} {{ d.missing is defined }}", "plain"),
    ("{{ missing.attr }}", "plain"),
    ("{{ d.missing.attr }}", "plain"),
    ("{{ xs[10] is defined }} {{ s.nope is defined }} {{ nothing.attr is defined }}", "plain"),
    ("{% for x in missing %}{{ x }}{% else %}empty{% endfor %} {{ missing | length }} {{ missing | default('dv') }}", "plain"),
    # attribute, item, slices
    ("{{ d.a }} {{ d['b'] }} {{ d.c[1] }} {{ d.c.0 }} {{ msgs[1].content }} {{ msgs[-1]['role'] }}", "plain"),
    ("{{ s[0] }} {{ s[-1] }} {{ u[1] }} {{ u[-2:] }} {{ s[:5] }} {{ s[6:] }} {{ s[::-1] }} {{ s[1:8:2] }}", "plain"),
    ("{{ xs[1:] }} {{ xs[:-1] }} {{ xs[::-1] }} {{ xs[5:] }} {{ xs[-10:1] }} {{ xs[::2] }} {{ xs[2:0:-1] }}", "plain"),
    ("{{ msgs[1:] | length }} {{ (xs + [9])[-1] }}", "plain"),
    # tests
    ("{{ s is string }} {{ n is number }} {{ f is float }} {{ n is integer }} {{ t is boolean }} {{ nothing is none }}", "plain"),
    ("{{ d is mapping }} {{ xs is mapping }} {{ xs is iterable }} {{ s is iterable }} {{ d is iterable }} {{ n is iterable }}", "plain"),
    ("{{ xs is sequence }} {{ n is odd }} {{ n is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(2) }}", "plain"),
    ("{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'x' is eq 'x' }} {{ 1 is ne 2 }} {{ 2 is lt 3 }} {{ 2 is in xs }}", "plain"),
    ("{{ t is true }} {{ t is false }} {{ 1 is true }} {{ nothing is not none }} {{ s is not string }}", "plain"),
    ("{{ missing is iterable }} {{ missing is mapping }} {{ range is callable }} {{ nothing is sameas none }}", "plain"),
    # filters
    ("{{ pad | trim }}|{{ '--x--' | trim('-') }}|{{ s | upper }}|{{ s | lower }}|{{ 'hello world' | capitalize }}", "plain"),
    ("{{ 'hello big-world(x)' | title }}|{{ \"they're bill's\".title() }}|{{ u | upper }}|{{ 'ÉCOLE' | lower }}", "plain"),
    ("{{ s | length }} {{ u | length }} {{ xs | length }} {{ d | count }} {{ xs | first }} {{ xs | last }} {{ s | first }}", "plain"),
    ("{{ xs | join(', ') }} {{ words | join }} {{ msgs | join('|', attribute='role') }}", "plain"),
    ("{{ xs | sort }} {{ xs | sort(reverse=true) }} {{ words | sort }} {{ words | sort(case_sensitive=true) }}", "plain"),
    ("{{ msgs | sort(attribute='role') | map(attribute='content') | list }}", "plain"),
    ("{{ d | dictsort }} {{ d | items | list }} {{ d.items() | list }} {{ d.keys() | list }} {{ d.values() | list }}", "plain"),
    ("{{ msgs | selectattr('role', 'equalto', 'user') | list | length }} {{ msgs | rejectattr('role', 'eq', 'user') | map(attribute='role') | join(',') }}", "plain"),
    ("{{ xs | select('odd') | list }} {{ xs | reject('odd') | list }} {{ [0, 1, '', 'a'] | select | list }}", "plain"),
    ("{{ ['a', 'b'] | map('upper') | list }} {{ msgs | map(attribute='extra', default='-') | list }}", "plain"),
    ("{{ words | unique | list }} {{ xs | max }} {{ xs | min }} {{ words | max }} {{ xs | sum }} {{ msgs | length }}", "plain"),
    ("{{ xs | reverse | list }} {{ s | reverse }} {{ 'aXbXc' | replace('X', '-') }} {{ 'aXbXc' | replace('X', '', 1) }}", "plain"),
    ("{{ '3' | int + 1 }} {{ 'x' | int }} {{ '2.7' | int }} {{ 2.7 | int }} {{ '1.5' | float }} {{ 'x' | float }} {{ 7 | float }}", "plain"),
    ("{{ -3 | abs }} {{ 2.567 | round(2) }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 2.1 | round(0, 'ceil') }}", "plain"),
    ("{{ n | string }} {{ nothing | string }} {{ xs | string }} {{ missing | string }}|{{ 'a<b>&\"' | e }}", "plain"),
    ("{{ 'one\ntwo\n\nthree' | indent(2) }}|{{ 'one\ntwo' | indent(2, true) }}|{{ 'a\n\nb' | indent(blank=true) }}", "plain"),
    ("{{ 'a b  c' | wordcount }} {{ nothing | default('d') }} {{ '' | default('d', true) }} {{ missing | d('x') }}", "plain"),
    ("{{ d | attr('a') }} {{ xs | list | length }} {{ 'ab' | list }} {{ d | list }} {{ 'abc' | first }}", "plain"),
    # tojson (hf: json.dumps, no HTML escaping)
    ("{{ d | tojson }}", "hf"),
    ("{{ msgs[2] | tojson }}", "hf"),
    ("{{ {'html': '<a href=\"x\">&</a>', 'u': 'é😀', 'ctl': '\\x01\\n\\t'} | tojson }}", "hf"),
    ("{{ [1, 2.5, true, none, 'x', [], {}] | tojson(indent=2) }}", "hf"),
    ("{{ d | tojson(indent=4, sort_keys=true) }}", "hf"),
    ("{{ {'u': 'é'} | tojson(ensure_ascii=true) }} {{ d | tojson(separators=(',', ':')) }}", "hf"),
    ("{{ 1e16 | tojson }} {{ 0.1 | tojson }} {{ 'a' | tojson }}", "hf"),
    # methods
    ("{{ pad.strip() }}|{{ pad.lstrip() }}|{{ pad.rstrip() }}|{{ 'xxhixx'.strip('x') }}|{{ 'a,b,,c'.split(',') }}", "plain"),
    ("{{ '  a  b c '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a b  c'.split(none, 1) }} {{ 'l1\nl2\r\nl3'.splitlines() }}", "plain"),
    ("{{ s.startswith('Hell') }} {{ s.endswith('x') }} {{ s.startswith(('x', 'H')) }} {{ s.upper() }} {{ s.lower() }}", "plain"),
    ("{{ s.replace('o', '0') }} {{ s.replace('l', 'L', 2) }} {{ s.find('o') }} {{ u.find('ß') }} {{ s.rfind('o') }} {{ s.count('l') }}", "plain"),
    ("{{ '-'.join(['a', 'b']) }} {{ 'abc'.title() }} {{ 'ABC def'.capitalize() }} {{ ' '.isspace() }} {{ '12'.isdigit() }}", "plain"),
    ("{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 'fb') }} {{ xs.index(2) }} {{ xs.count(3) }}", "plain"),
    ("{{ s.nosuchmethod() }}", "plain"),
    # loops
    ("{% for m in msgs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", "plain"),
    ("{% for m in msgs %}{{ loop.previtem.role if loop.previtem is defined else '-' }}>{{ loop.nextitem.role if loop.nextitem is defined else '-' }} {% endfor %}", "plain"),
    ("{% for x in xs %}{{ loop.cycle('a', 'b') }}{% endfor %}", "plain"),
    ("{% for m in msgs if m.role == 'user' %}{{ loop.index }}/{{ loop.length }}:{{ m.content }} {% endfor %}", "plain"),
    ("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %} {% for k in d %}{{ k }}{% endfor %}", "plain"),
    ("{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %} {% for (a, b) in [(1, 2)] %}{{ a }}{{ b }}{% endfor %}", "plain"),
    ("{% for c in 'héj' %}[{{ c }}]{% endfor %}", "plain"),
    ("{% for x in [] %}x{% else %}none{% endfor %}", "plain"),
    ("{% for x in xs %}{% if x == 1 %}{% break %}{% endif %}{{ x }}{% endfor %}|{% for x in xs %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %}", "hf"),
    ("{% for i in range(3) %}{% for j in range(i) %}{{ i }}{{ j }},{% endfor %}{% endfor %} {{ range(2, 10, 3) | list }} {{ range(3, 0, -1) | list }}", "plain"),
    ("{% for x in xs %}{{ loop.index }}{% for y in [1] %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}", "plain"),
    # scoping and set
    ("{% set x = 1 %}{% for i in xs %}{% set x = x + i %}{{ x }},{% endfor %}{{ x }}", "plain"),
    ("{% set ns = namespace(total=0, seen=false) %}{% for i in xs %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }} {{ ns.seen }}", "plain"),
    ("{% set ns = namespace() %}{% set ns.found = 'yes' %}{{ ns.found }}", "plain"),
    ("{% if true %}{% set y = 5 %}{% endif %}{{ y }}", "plain"),
    ("{% set a, b = 1, 2 %}{{ a }}{{ b }} {% set t = 1, 2 %}{{ t }}", "plain"),
    ("{% set block %}inner {{ n }}{% endset %}[{{ block }}] {{ block | length }}", "plain"),
    ("{% set msgs = msgs[1:] %}{{ msgs | length }} {% set s = s | upper %}{{ s }}", "plain"),
    ("{% set x = 1 %}{% set x = x + 1 %}{{ x }}", "plain"),
    ("{% set d2 = dict(a=1, b='x') %}{{ d2 }} {{ d2.b }}", "plain"),
    ("{% set x = 5 %}{% set y = x %}{% set x = 6 %}{{ y }}{{ x }}", "plain"),
    # if / elif / else
    ("{% if n > 10 %}big{% elif n > 5 %}mid{% else %}small{% endif %}", "plain"),
    ("{% if missing %}a{% elif nothing %}b{% elif xs %}c{% endif %}", "plain"),
    ("{% if not missing is defined %}undef{% endif %} {% if missing is not defined and true %}ok{% endif %}", "plain"),
    # raise_exception
    ("{{ raise_exception('Roles must alternate!') }}", "hf"),
]


def plain_environment():
    return jinja2.Environment(extensions=[jinja2.ext.loopcontrols])


def main():
    envs = {"plain": plain_environment(), "hf": hf_environment()}
    out = []
    for case in CASES:
        template, mode = case[0], case[1]
        variables = case[2] if len(case) > 2 else V
        entry = {"template": template, "mode": mode}
        if variables is not V:
            entry["vars"] = variables
        try:
            entry["expected"] = envs[mode].from_string(template).render(**variables)
        except Exception as e:  # noqa: BLE001 - any error is recorded for the C++ test
            entry["error"] = f"{type(e).__name__}: {e}"
        out.append(entry)
    doc = {"vars": V, "cases": out}
    with open(os.path.join(HERE, "jinja_cases.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(out), "cases,", sum("error" in c for c in out), "raising")


if __name__ == "__main__":
    main()
