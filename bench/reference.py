"""The article's own stack, timed on the same machine and data: the Keras model
(same layers, parameter count, batch size and optimizer) and the article's
attack (tf.GradientTape.batch_jacobian and the same step rule, inside
tf.function).

It loads the weights of the Go model (exported by `go run ./bench/export`) so
that both attacks run on the very same network: same pairs, same step counts.
Prints one JSON object with the timings (seconds).

    python bench/reference.py --export out/bench/export.json [--pairs 20]
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402

sys.dont_write_bytecode = True  # Importing idx.py must not leave bench/__pycache__ behind.
from idx import read_idx  # noqa: E402,F401 (foolbox_reference.py imports it from here)


def build(cfg):
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(cfg["filters"], cfg["kernel"]),
        keras.layers.MaxPooling2D(cfg["pool"]),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def advtrain_epoch(settings, x_train, y_train):
    """One epoch of adversarial training (bench.AdvTrainSettings): the robust
    network, the PGD attack inside the compiled step (random start in the
    ε-ball, signed steps of the summed cross-entropy's input gradient, each
    clipped into the ball and [0, 1]), then Adam on the adversarial batch.
    Returns the seconds of the timed epoch, after one traced warm-up step."""
    c = settings["config"]
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(c["filters"], c["kernel"], activation="relu"),
        keras.layers.MaxPooling2D(c["pool"]),
        keras.layers.Conv2D(c["filters2"], c["kernel"], activation="relu"),
        keras.layers.MaxPooling2D(c["pool"]),
        keras.layers.Flatten(),
        keras.layers.Dense(c["hidden"], activation="relu"),
        keras.layers.Dense(10),
    ])
    opt = keras.optimizers.Adam(settings["learning_rate"])
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    eps, step_size, steps = np.float32(settings["epsilon"]), np.float32(settings["step_size"]), settings["steps"]

    @tf.function
    def train_step(x, y):
        lower, upper = tf.clip_by_value(x - eps, 0.0, 1.0), tf.clip_by_value(x + eps, 0.0, 1.0)
        adv = tf.clip_by_value(x + tf.random.uniform(tf.shape(x), -eps, eps), lower, upper)
        for _ in range(steps):
            with tf.GradientTape() as tape:
                tape.watch(adv)
                loss = tf.reduce_sum(tf.keras.losses.sparse_categorical_crossentropy(y, model(adv, training=False), from_logits=True))
            adv = tf.clip_by_value(adv + step_size * tf.sign(tape.gradient(loss, adv)), lower, upper)
        adv = tf.stop_gradient(adv)
        with tf.GradientTape() as tape:
            loss = ce(y, model(adv, training=True))
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    n = settings["batches"] * settings["batch_size"]
    ds = tf.data.Dataset.from_tensor_slices((x_train[:n], y_train[:n])).shuffle(n, seed=1).batch(settings["batch_size"])
    for x, y in ds.take(1):
        train_step(x, y)  # Traces and compiles.
    start = time.perf_counter()
    for x, y in ds:
        loss = train_step(x, y)
    loss.numpy()
    return time.perf_counter() - start


def best_of(fn, repeat=5, number=1):
    """Best wall time of `repeat` runs of `number` calls, per call."""
    fn()  # Warm-up (tracing, compilation).
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--export", required=True, help="JSON from go run ./bench/export")
    parser.add_argument("--pairs", type=int, default=20, help="pairs for the one-pair attack loop")
    parser.add_argument("--epochs", type=int, default=1, help="timed training epochs (after one warm-up epoch)")
    args = parser.parse_args()
    export = json.load(open(args.export))
    cfg = export["config"]
    mnist_dir = export["mnist_dir"]
    x_train = read_idx(os.path.join(mnist_dir, "train-images-idx3-ubyte.gz"), True)
    y_train = read_idx(os.path.join(mnist_dir, "train-labels-idx1-ubyte.gz"), False)
    x_test = read_idx(os.path.join(mnist_dir, "t10k-images-idx3-ubyte.gz"), True)
    out = {"tensorflow": tf.__version__, "threads": {"intra": tf.config.threading.get_intra_op_parallelism_threads(),
                                                      "inter": tf.config.threading.get_inter_op_parallelism_threads()}}

    # Training: steps at batch 64 and 128, and whole epochs of the 60k images at the configured batch size.
    model = build(cfg)
    out["params"] = int(model.count_params())
    for batch in (64, 128):
        steps = 200
        ds = tf.data.Dataset.from_tensor_slices((x_train[: batch * steps], y_train[: batch * steps])).batch(batch).cache()
        model.fit(ds, epochs=1, verbose=0)  # Warm-up.
        start = time.perf_counter()
        model.fit(ds, epochs=1, verbose=0)
        out[f"train_step_b{batch}"] = (time.perf_counter() - start) / steps
    model = build(cfg)
    model.fit(x_train, y_train, batch_size=export["batch_size"], epochs=1, shuffle=True, verbose=0)  # Warm-up epoch.
    epochs = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        model.fit(x_train, y_train, batch_size=export["batch_size"], epochs=1, shuffle=True, verbose=0)
        epochs.append(time.perf_counter() - start)
    out["epoch"] = min(epochs)
    out["advtrain_epoch"] = advtrain_epoch(export["advtrain"], x_train, y_train)

    # The attack, on the Go model's weights.
    model = build(cfg)
    w = export["weights"]
    model.layers[0].set_weights([np.array(w["conv_kernel"], np.float32).reshape(cfg["kernel"], cfg["kernel"], 1, cfg["filters"]),
                                 np.array(w["conv_bias"], np.float32)])
    model.layers[3].set_weights([np.array(w["dense_kernel"], np.float32).reshape(-1, 10), np.array(w["dense_bias"], np.float32)])
    eps = np.float32(export["step_size"])
    if not (eps > 0 and export["max_steps"] >= 1):
        sys.exit(f"reference.py: the export's step_size is {export['step_size']} and max_steps {export['max_steps']}: "
                 "bench/export must write the attack's settings as they run (TargetedAscent.WithDefaults)")

    @tf.function
    def probabilities(x):
        return tf.nn.softmax(model(x), axis=-1)

    @tf.function
    def jacobian(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            p = tf.nn.softmax(model(x), axis=-1)
        return tape.batch_jacobian(p, x)

    @tf.function
    def step(x, target):
        # The article's step: the batch Jacobian, the target's slice, rescaled by its max, added, clipped.
        with tf.GradientTape() as tape:
            tape.watch(x)
            p = tf.nn.softmax(model(x), axis=-1)
        g = tape.batch_jacobian(p, x)[:, target]
        g = g / tf.reduce_max(tf.abs(g))
        return tf.clip_by_value(x + eps * g, 0.0, 1.0), p

    one = tf.constant(x_test[:1])
    many = tf.constant(x_test[:256])
    out["jacobian_b1"] = best_of(lambda: jacobian(one).numpy(), number=20)
    out["jacobian_b256"] = best_of(lambda: jacobian(many).numpy(), number=3)
    out["ascent_step"] = best_of(lambda: step(one, 3)[0].numpy(), number=20)

    # The article's loop, one pair at a time, on the same pairs as the Go benchmark.
    per_pair, steps_taken, agree = [], [], 0
    for index, target, go_steps in zip(export["pairs"]["indices"][: args.pairs], export["pairs"]["targets"], export["pairs"]["steps"]):
        x = tf.constant(x_test[index: index + 1])
        start = time.perf_counter()
        n = 0
        while True:
            x_next, p = step(x, target)
            if int(np.argmax(p.numpy()[0])) == target or n == export["max_steps"]:
                break
            x, n = x_next, n + 1
        per_pair.append(time.perf_counter() - start)
        steps_taken.append(n)
        agree += int(n == go_steps)
    out["attack_pair"] = float(np.mean(per_pair))
    out["attack_pair_steps"] = float(np.mean(steps_taken))
    out["attack_pairs_timed"] = len(per_pair)
    out["attack_steps_agree_with_go"] = agree
    print(json.dumps(out))


if __name__ == "__main__":
    main()
