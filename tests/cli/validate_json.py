#!/usr/bin/python3
"""validate_json.py SCHEMA FILE...: validates each FILE (one JSON document, as a
cartoflash command printed it on stdout) against the JSON Schema with Debian's
python3-jsonschema; prints every violation and exits 1 if there is any."""
import json
import sys

import jsonschema


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            print(f"{path}: not one JSON document: {e}")
            bad += 1
            continue
        # the best match names the branch of oneOf the document was meant for
        error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path)
            print(f"{path}: {error.message} (at /{where})")
            bad += 1
    sys.exit(1 if bad else 0)


main()
