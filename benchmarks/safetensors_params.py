"""Number of parameters in a safetensors file (read from its header): python3 safetensors_params.py FILE."""
import json, struct, sys


def params(path):
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
    total = 0
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        count = 1
        for size in entry["shape"]:
            count *= size
        total += count
    return total


if __name__ == "__main__":
    print(params(sys.argv[1]))
