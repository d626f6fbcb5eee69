#!/usr/bin/python3
"""Writes the expected outputs of the chat-template golden tests with Python's jinja2 set up the way
HF transformers renders chat templates (tokenization_utils / chat_template_utils):

  ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
  filters["tojson"] = json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...)
  globals raise_exception(msg) and strftime_now(fmt); render(messages=..., tools=None,
  documents=None, add_generation_prompt=..., bos_token=..., eos_token=...)

Run once with Debian's python3-jinja2 (3.1.2) from the repository root:
  /usr/bin/python3 tests/text/golden/chat/make_golden.py
The outputs are committed; the C++ tests do not need Python.
"""
import datetime
import json
import os
import shutil

import jinja2
import jinja2.ext
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
# The clock strftime_now() reads in the tests (ChatTemplateOptions::now in chat_template_test.cpp).
NOW = datetime.datetime(2024, 9, 26, 14, 30, 5)



def hf_environment():
    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return NOW.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(env, source, messages, add_generation_prompt, bos, eos, tools=None, extra=None):
    template = env.from_string(source)
    try:
        return template.render(messages=messages, tools=tools, documents=None,
                               add_generation_prompt=add_generation_prompt, bos_token=bos, eos_token=eos,
                               **(extra or {})), None
    except TemplateError as e:
        return None, str(e)


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def main():
    env = hf_environment()
    with open(os.path.join(HERE, "conversations.json"), encoding="utf-8") as f:
        conversations = json.load(f)
    with open(os.path.join(HERE, "tool_conversations.json"), encoding="utf-8") as f:
        tool_data = json.load(f)
    # model -> bos_token, eos_token, whether it takes tools; the template is <model>.jinja here.
    with open(os.path.join(HERE, "models.json"), encoding="utf-8") as f:
        models = json.load(f)
    out_dir = os.path.join(HERE, "expected")
    shutil.rmtree(out_dir, ignore_errors=True)
    for model, spec in models.items():
        bos, eos = spec["bos_token"], spec["eos_token"]
        with open(os.path.join(HERE, model + ".jinja"), encoding="utf-8", newline="") as f:
            source = f.read()
        os.makedirs(os.path.join(out_dir, model))
        runs = [(name, msgs, gen, None) for name, msgs in conversations.items() for gen in (True, False)]
        if spec["tools"]:
            runs += [(name, msgs, True, tool_data["tools"]) for name, msgs in tool_data["conversations"].items()]
        for name, msgs, gen, tools in runs:
            extra = tool_data["extra_vars"].get(name) if tools else None
            text, error = render(env, source, msgs, gen, bos, eos, tools, extra)
            stem = os.path.join(out_dir, model, name + (".gen" if gen else ".nogen") + (".tools" if tools else ""))
            if error is not None:
                write(stem + ".err.txt", error)
            else:
                write(stem + ".txt", text)
    print("wrote", out_dir)


if __name__ == "__main__":
    main()
