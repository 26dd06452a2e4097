"""Foolbox 3.3.4 on the Go model's weights: the reference numbers that the Go
attacks are cross-checked against.

It rebuilds the Keras model of bench/reference.py, loads the weights exported
by `go run ./bench/crosscheck -prepare` (or `./bench/export`), wraps it in `foolbox.TensorFlowModel` with bounds
(0, 1) and runs, on the first test images in file order with
`Misclassification(labels)` as the criterion:

- clean accuracy on the 10,000 test images;
- FGSM (`LinfFastGradientAttack`, no random start) at one epsilon: success
  rate, and the clipped adversarials written to DIR/fgsm_foolbox.f32 (raw
  little-endian float32, n x 784 row-major, no header);
- PGD (`LinfPGD`, fixed absolute step size, no random start) at several
  epsilons: robust accuracy (1 - success rate) per epsilon;
- DeepFool L2 (`L2DeepFoolAttack`, logits loss) and Carlini-Wagner L2
  (`L2CarliniWagnerAttack`), with epsilons=None: success rate, per-image L2
  norm of (adversarial - original) where successful (null otherwise), median
  over the successful ones.
- HopSkipJump L2 (`HopSkipJumpAttack`, constraint l2) from the starting test
  images the settings name, one image per call: Foolbox 3.3.4 divides each
  image's gradient estimate by the norm over the whole batch, so a batch of n
  images takes steps about sqrt(n) times too short. Per image: L2 norm, and
  the queries (images the model was asked to classify) it used.

The settings come from the export's `crosscheck` object, which
`go run ./bench/crosscheck -prepare` writes (bench/crosscheck holds them, so
that both sides run the same). FGSM and PGD run in batches of
--batch images (their results do not depend on the batching); DeepFool and CW
run on their n images as one batch, because CW's early abort looks at the loss
summed over the batch.

Everything goes to DIR/foolbox.json; the last line on stdout is a JSON summary
(the same without the per-image lists). Progress goes to stderr.

With --speed it times instead, for `make bench`, the workloads of the export's
`speed` object (bench/speed.go defines them): Foolbox's LinfPGD with its
defaults on n images at one epsilon, DeepFool L2 and Carlini-Wagner L2 per
image. Only the JSON line is printed.

    .venv-bench/bin/python bench/foolbox_reference.py --export out/crosscheck/export.json --out out/crosscheck [--batch 1000]
    .venv-bench/bin/python bench/foolbox_reference.py --export out/bench/export.json --speed
"""
import argparse
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # Importing reference.py must not leave bench/__pycache__ behind.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import build, read_idx  # noqa: E402 (sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads)

import eagerpy  # noqa: E402
import foolbox  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def log(message):
    print(message, file=sys.stderr, flush=True)


def load_model(export):
    """The Keras model of bench/reference.py carrying the exported weights."""
    cfg, w = export["config"], export["weights"]
    model = build(cfg)
    model.layers[0].set_weights([np.array(w["conv_kernel"], np.float32).reshape(cfg["kernel"], cfg["kernel"], 1, cfg["filters"]),
                                 np.array(w["conv_bias"], np.float32)])
    model.layers[3].set_weights([np.array(w["dense_kernel"], np.float32).reshape(-1, 10), np.array(w["dense_bias"], np.float32)])
    return model


def batched_fixed_epsilon(attack, fmodel, x, y, epsilon, batch):
    """Runs a fixed-epsilon attack batch by batch: the clipped adversarials and the success flags."""
    clipped, success = [], []
    for start in range(0, len(x), batch):
        criterion = foolbox.criteria.Misclassification(tf.constant(y[start:start + batch]))
        _, xpc, ok = attack(fmodel, tf.constant(x[start:start + batch]), criterion, epsilons=epsilon)
        clipped.append(xpc.numpy())
        success.append(ok.numpy())
    return np.concatenate(clipped), np.concatenate(success)


def minimization(attack, fmodel, x, y):
    """Runs a minimization attack (epsilons=None) on one batch and summarises its L2 norms."""
    start = time.perf_counter()
    raw, _, success = attack(fmodel, tf.constant(x), foolbox.criteria.Misclassification(tf.constant(y)), epsilons=None)
    seconds = time.perf_counter() - start
    raw, success = raw.numpy(), success.numpy()
    norms = np.linalg.norm((raw - x).reshape(len(x), -1).astype(np.float64), axis=1)
    return raw, {
        "success_rate": float(success.mean()),
        "median_l2": float(np.median(norms[success])) if success.any() else None,
        "l2": [float(d) if ok else None for d, ok in zip(norms, success)],
        "seconds": seconds,
    }


def speed(export, x_test, y_test, batch):
    """Times the workloads of the export's `speed` object; returns seconds."""
    s = export["speed"]
    fmodel = foolbox.TensorFlowModel(load_model(export), bounds=(0, 1))
    out = {"versions": {"foolbox": foolbox.__version__, "tensorflow": tf.__version__}}
    c = s["pgd"]
    attack = foolbox.attacks.LinfPGD(steps=c["steps"], rel_stepsize=c["rel_stepsize"], random_start=c["random_start"])
    start = time.perf_counter()
    batched_fixed_epsilon(attack, fmodel, x_test[:c["n"]], y_test[:c["n"]], c["epsilon"], batch)
    out["pgd_seconds"] = time.perf_counter() - start
    log(f"pgd: {out['pgd_seconds']:.1f}s")
    c = s["deepfool"]
    attack = foolbox.attacks.L2DeepFoolAttack(steps=c["steps"], candidates=c["candidates"], overshoot=c["overshoot"], loss="logits")
    out["deepfool_seconds_per_image"] = minimization(attack, fmodel, x_test[:c["n"]], y_test[:c["n"]])[1]["seconds"] / c["n"]
    c = s["cw"]
    attack = foolbox.attacks.L2CarliniWagnerAttack(binary_search_steps=c["binary_search_steps"], steps=c["steps"],
                                                   stepsize=c["stepsize"], confidence=c["confidence"],
                                                   initial_const=c["initial_const"])
    out["cw_seconds_per_image"] = minimization(attack, fmodel, x_test[:c["n"]], y_test[:c["n"]])[1]["seconds"] / c["n"]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--export", required=True, help="JSON from go run ./bench/export")
    parser.add_argument("--out", help="folder for foolbox.json and fgsm_foolbox.f32")
    parser.add_argument("--batch", type=int, default=1000, help="batch size for clean accuracy, FGSM and PGD")
    parser.add_argument("--speed", action="store_true", help="time the export's speed workloads instead")
    args = parser.parse_args()
    with open(args.export) as f:
        export = json.load(f)
    x_test = read_idx(os.path.join(export["mnist_dir"], "t10k-images-idx3-ubyte.gz"), True)
    y_test = read_idx(os.path.join(export["mnist_dir"], "t10k-labels-idx1-ubyte.gz"), False).astype(np.int64)
    if args.speed:
        print(json.dumps(speed(export, x_test, y_test, args.batch)))
        return
    if args.out is None:
        raise SystemExit("--out is needed unless --speed is given")
    if "crosscheck" not in export:
        raise SystemExit(f"{args.export} has no crosscheck settings: write it with go run ./bench/crosscheck -prepare")
    cfg = export["crosscheck"]
    os.makedirs(args.out, exist_ok=True)
    fmodel = foolbox.TensorFlowModel(load_model(export), bounds=(0, 1))
    out = {"versions": {"foolbox": foolbox.__version__, "eagerpy": eagerpy.__version__, "tensorflow": tf.__version__},
           "settings": cfg, "batch": args.batch}

    start = time.perf_counter()
    predictions = np.concatenate([np.argmax(fmodel(tf.constant(x_test[i:i + args.batch])).numpy(), axis=1)
                                  for i in range(0, len(x_test), args.batch)])
    out["clean"] = {"n": len(x_test), "accuracy": float(np.mean(predictions == y_test)), "seconds": time.perf_counter() - start}
    log(f"clean accuracy {out['clean']['accuracy']:.4f}")

    c = cfg["fgsm"]
    start = time.perf_counter()
    clipped, success = batched_fixed_epsilon(foolbox.attacks.LinfFastGradientAttack(random_start=False), fmodel,
                                             x_test[:c["n"]], y_test[:c["n"]], c["epsilon"], args.batch)
    out["fgsm"] = {"success_rate": float(success.mean()), "seconds": time.perf_counter() - start}
    clipped.reshape(c["n"], -1).astype("<f4").tofile(os.path.join(args.out, "fgsm_foolbox.f32"))
    log(f"fgsm success {out['fgsm']['success_rate']:.4f} in {out['fgsm']['seconds']:.1f}s")

    c = cfg["pgd"]
    attack = foolbox.attacks.LinfPGD(steps=c["steps"], abs_stepsize=c["abs_stepsize"], random_start=False)
    robust, start = {}, time.perf_counter()
    for epsilon in c["epsilons"]:
        _, success = batched_fixed_epsilon(attack, fmodel, x_test[:c["n"]], y_test[:c["n"]], epsilon, args.batch)
        robust[str(epsilon)] = float(1 - success.mean())
        log(f"pgd eps {epsilon}: robust accuracy {robust[str(epsilon)]:.4f}")
    out["pgd"] = {"robust_accuracy": robust, "seconds": time.perf_counter() - start}

    c = cfg["deepfool"]
    attack = foolbox.attacks.L2DeepFoolAttack(steps=c["steps"], candidates=c["candidates"], overshoot=c["overshoot"], loss="logits")
    _, out["deepfool"] = minimization(attack, fmodel, x_test[:c["n"]], y_test[:c["n"]])
    log(f"deepfool success {out['deepfool']['success_rate']:.4f}, median L2 {out['deepfool']['median_l2']} "
        f"in {out['deepfool']['seconds']:.1f}s")

    c = cfg["cw"]
    attack = foolbox.attacks.L2CarliniWagnerAttack(binary_search_steps=c["binary_search_steps"], steps=c["steps"],
                                                   stepsize=c["stepsize"], confidence=c["confidence"],
                                                   initial_const=c["initial_const"])
    raw, out["cw"] = minimization(attack, fmodel, x_test[:c["n"]], y_test[:c["n"]])
    # Where CW finds nothing it returns an all-zero image, which Foolbox still counts as a success if the model
    # misclassifies that black image.
    out["cw"]["zero_images_returned"] = int(np.sum(~raw.reshape(c["n"], -1).any(axis=1)))
    log(f"cw success {out['cw']['success_rate']:.4f}, median L2 {out['cw']['median_l2']} in {out['cw']['seconds']:.1f}s")

    c = cfg["hsj"]
    keras_model, queries = load_model(export), [0]

    def counted(x):
        queries[0] += int(x.shape[0])
        return keras_model(x)

    counting = foolbox.TensorFlowModel(counted, bounds=(0, 1))
    attack = foolbox.attacks.HopSkipJumpAttack(steps=c["steps"], initial_gradient_eval_steps=c["initial_gradient_eval_steps"],
                                               max_gradient_eval_steps=c["max_gradient_eval_steps"], gamma=c["gamma"],
                                               constraint="l2")
    norms, per_image, success, start = [], [], [], time.perf_counter()
    for i in range(c["n"]):
        queries[0] = 0
        x, y = tf.constant(x_test[i:i + 1]), y_test[i:i + 1]
        raw = attack.run(counting, x, foolbox.criteria.Misclassification(tf.constant(y)),
                         starting_points=tf.constant(x_test[c["start_indices"][i]:c["start_indices"][i] + 1])).numpy()
        per_image.append(queries[0])
        ok = bool(np.argmax(keras_model(raw).numpy(), axis=1)[0] != y[0])
        success.append(ok)
        norms.append(float(np.linalg.norm((raw - x_test[i:i + 1]).astype(np.float64))) if ok else None)
    found = [d for d in norms if d is not None]
    out["hsj"] = {"success_rate": float(np.mean(success)), "median_l2": float(np.median(found)) if found else None,
                  "l2": norms, "queries": per_image, "seconds": time.perf_counter() - start}
    log(f"hsj success {out['hsj']['success_rate']:.4f}, median L2 {out['hsj']['median_l2']}, "
        f"median queries {np.median(per_image)} in {out['hsj']['seconds']:.1f}s")

    with open(os.path.join(args.out, "foolbox.json"), "w") as f:
        json.dump(out, f, indent=1)
    summary = {k: v for k, v in out.items() if k != "settings"}
    for name in ("deepfool", "cw", "hsj"):
        summary[name] = {k: v for k, v in out[name].items() if k not in ("l2", "queries")}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
