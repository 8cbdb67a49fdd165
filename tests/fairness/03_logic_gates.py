"""Assignment 3 (logic gates): correct answers written differently, and typical mistakes (see __init__.py).

The questions are independent (the notebook says so): a mistake costs points in its own question only.
"""
from tests.fairness import Mistake

CORRECT = {
    "q1_linear_regression": {
        "np.hstack, and the pseudo-inverse instead of solving the normal equations": '''
            def design_matrix(X):
                X = np.asarray(X, dtype=float)
                return np.hstack([np.ones((X.shape[0], 1)), X])


            def linear_regression_predict(X, y):
                A = design_matrix(X)
                return A @ np.linalg.pinv(A.T @ A) @ A.T @ y
            ''',
    },
    "q2_relu_network": {
        "np.where and einsum": '''
            def relu(z):
                return np.where(z > 0, z, 0.0)


            def relu_network_forward(X, W_h, b_h, W_o, b_o):
                z_h = np.einsum("nd,dh->nh", X, W_h) + b_h
                a_h = relu(z_h)
                return z_h, a_h, np.einsum("nh,hk->nk", a_h, W_o) + b_o
            ''',
    },
    "q3_xor_weights": {
        "twice the lecture's hidden weights, half its output weights: still exactly XOR": '''
            W_h = np.array([[2.0, 2.0], [2.0, 2.0]])
            b_h = np.array([0.0, -2.0])
            W_o = np.array([[0.5], [-1.0]])
            b_o = np.zeros(1)
            ''',
    },
    "q4_train_logic_gate": {
        "the layers listed by hand instead of make_mlp": '''
            def train_logic_gate(gate, n_hidden=4, activation=Sigmoid, eta=0.5, epochs=500, seed=0):
                rng = np.random.default_rng(seed)
                net = Net([Linear(2, n_hidden, rng=rng), activation(), Linear(n_hidden, 1, rng=rng), Sigmoid()])
                X, y = logic_gate(gate)
                return net, fit(net, X, y, BinaryCrossEntropy(), epochs=epochs, batch_size=len(X), eta=eta,
                                seed=seed, progress=False)
            ''',
    },
    "q5_train_classifier": {
        "the layers built in a loop instead of make_mlp": '''
            def train_classifier(sizes, X, Y, activation=Sigmoid, eta=1.0, epochs=1000, seed=0):
                rng = np.random.default_rng(seed)
                layers = []
                for n_in, n_out in zip(sizes[:-1], sizes[1:]):
                    layers += [Linear(n_in, n_out, rng=rng), activation()]
                net = Net(layers)
                history = fit(net, X, Y, MeanSquaredError(), epochs=epochs, batch_size=X.shape[0], eta=eta,
                              seed=seed, progress=False)
                return net, history
            ''',
    },
    "q6_polar_features": {
        "np.linalg.norm and np.stack": '''
            def polar_features(X, centre=(0.5, 0.5)):
                u = X - np.array(centre)
                return np.stack([np.linalg.norm(u, axis=1), np.arctan2(u[:, 1], u[:, 0])], axis=1)
            ''',
    },
}

MISTAKES = {
    "q3_xor_weights": {
        "an output weight of -1 instead of -2: (1, 1) gives 1, not 0": Mistake('''
            W_h = np.array([[1.0, 1.0], [1.0, 1.0]])
            b_h = np.array([0.0, -1.0])
            W_o = np.array([[1.0], [-1.0]])
            b_o = np.array([0.0])
            ''', fails=["q3_test_hidden"]),
    },
}
