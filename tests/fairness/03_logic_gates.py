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
        "np.insert for the ones, np.linalg.lstsq for the fit": '''
            def design_matrix(X):
                return np.insert(np.asarray(X, dtype=float), 0, 1.0, axis=1)


            def linear_regression_predict(X, y):
                A = design_matrix(X)
                return A @ np.linalg.lstsq(A, y, rcond=None)[0]
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
        "a mask product, and np.dot": '''
            def relu(z):
                return z * (z > 0)


            def relu_network_forward(X, W_h, b_h, W_o, b_o):
                z_h = np.dot(X, W_h) + b_h
                a_h = relu(z_h)
                output = np.dot(a_h, W_o) + b_o
                return z_h, a_h, output
            ''',
    },
    "q3_xor_weights": {
        "twice the lecture's hidden weights, half its output weights: still exactly XOR": '''
            W_h = np.array([[2.0, 2.0], [2.0, 2.0]])
            b_h = np.array([0.0, -2.0])
            W_o = np.array([[0.5], [-1.0]])
            b_o = np.zeros(1)
            ''',
        "relu(x1 - x2) + relu(x2 - x1) = |x1 - x2|, which is XOR on 0/1 inputs": '''
            W_h = np.array([[1.0, -1.0], [-1.0, 1.0]])
            b_h = np.zeros(2)
            W_o = np.ones((2, 1))
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
        "the Sigmoid added by list concatenation, fit's arguments in another order": '''
            def train_logic_gate(gate, n_hidden=4, activation=Sigmoid, eta=0.5, epochs=500, seed=0):
                inputs, outputs = logic_gate(gate)
                mlp = make_mlp([2, n_hidden, 1], activation=activation, seed=seed)
                net = Net(mlp.layers + [Sigmoid()])
                history = fit(net, inputs, outputs, BinaryCrossEntropy(), progress=False, seed=seed, eta=eta,
                              batch_size=4, epochs=epochs)
                return net, history
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
        "complex numbers: np.abs and np.angle": '''
            def polar_features(X, centre=(0.5, 0.5)):
                u = np.asarray(X, dtype=float) - np.asarray(centre, dtype=float)
                z = u[:, 0] + 1j * u[:, 1]
                return np.column_stack([np.abs(z), np.angle(z)])
            ''',
    },
}

MISTAKES = {
    "q1_linear_regression": {
        "the column of ones last: the same predictions, not the design matrix asked for": Mistake('''
            def design_matrix(X):
                return np.column_stack([X, np.ones(len(X))])


            def linear_regression_predict(X, y):
                A = design_matrix(X)
                return A @ np.linalg.solve(A.T @ A, A.T @ y)
            ''', fails=["q1_test_visible", "q1_test_hidden_random"]),
        "the predictions flattened: shape (N,) for a y of shape (N, 1)": Mistake('''
            def design_matrix(X):
                return np.column_stack([np.ones(len(X)), X])


            def linear_regression_predict(X, y):
                A = design_matrix(X)
                return (A @ np.linalg.solve(A.T @ A, A.T @ y)).ravel()
            ''', fails=["q1_test_visible", "q1_test_hidden_random"]),
    },
    "q2_relu_network": {
        "relu in place: z_h is overwritten by a_h": Mistake('''
            def relu(z):
                z[z < 0] = 0.0
                return z


            def relu_network_forward(X, W_h, b_h, W_o, b_o):
                z_h = X @ W_h + b_h
                a_h = relu(z_h)
                return z_h, a_h, a_h @ W_o + b_o
            ''', fails=["q2_test_visible", "q2_test_hidden_random", "q2_test_hidden_xor"]),
        "a ReLU on the output layer too, which the text says is linear": Mistake('''
            def relu(z):
                return np.maximum(z, 0.0)


            def relu_network_forward(X, W_h, b_h, W_o, b_o):
                z_h = X @ W_h + b_h
                a_h = relu(z_h)
                return z_h, a_h, relu(a_h @ W_o + b_o)
            ''', fails=["q2_test_hidden_random"]),
    },
    "q3_xor_weights": {
        "an output weight of -1 instead of -2: (1, 1) gives 1, not 0": Mistake('''
            W_h = np.array([[1.0, 1.0], [1.0, 1.0]])
            b_h = np.array([0.0, -1.0])
            W_o = np.array([[1.0], [-1.0]])
            b_o = np.array([0.0])
            ''', fails=["q3_test_hidden"]),
        "b_o a plain number instead of an array of shape (1,)": Mistake('''
            W_h = np.array([[1.0, 1.0], [1.0, 1.0]])
            b_h = np.array([0.0, -1.0])
            W_o = np.array([[1.0], [-2.0]])
            b_o = 0.0
            ''', fails=["q3_test_visible"]),
    },
    "q4_train_logic_gate": {
        "one point at a time (batch_size=1) instead of all four at once": Mistake('''
            def train_logic_gate(gate, n_hidden=4, activation=Sigmoid, eta=0.5, epochs=500, seed=0):
                X, y = logic_gate(gate)
                net = make_mlp([2, n_hidden, 1], activation=activation, seed=seed)
                net.layers.append(Sigmoid())
                history = fit(net, X, y, BinaryCrossEntropy(), epochs=epochs, batch_size=1, eta=eta, seed=seed,
                              progress=False)
                return net, history
            ''', fails=["q4_test_hidden_contract"]),
        "the learning rate fixed at 0.5 instead of eta": Mistake('''
            def train_logic_gate(gate, n_hidden=4, activation=Sigmoid, eta=0.5, epochs=500, seed=0):
                X, y = logic_gate(gate)
                net = make_mlp([2, n_hidden, 1], activation=activation, seed=seed)
                net.layers.append(Sigmoid())
                history = fit(net, X, y, BinaryCrossEntropy(), epochs=epochs, batch_size=4, eta=0.5, seed=seed,
                              progress=False)
                return net, history
            ''', fails=["q4_test_hidden_contract"]),
        "the activation appended after the output instead of a Sigmoid (the same for the default)": Mistake('''
            def train_logic_gate(gate, n_hidden=4, activation=Sigmoid, eta=0.5, epochs=500, seed=0):
                X, y = logic_gate(gate)
                net = make_mlp([2, n_hidden, 1], activation=activation, seed=seed)
                net.layers.append(activation())
                history = fit(net, X, y, BinaryCrossEntropy(), epochs=epochs, batch_size=4, eta=eta, seed=seed,
                              progress=False)
                return net, history
            ''', fails=["q4_test_hidden_contract"]),
        "fit's progress bar left on": Mistake('''
            def train_logic_gate(gate, n_hidden=4, activation=Sigmoid, eta=0.5, epochs=500, seed=0):
                X, y = logic_gate(gate)
                net = make_mlp([2, n_hidden, 1], activation=activation, seed=seed)
                net.layers.append(Sigmoid())
                return net, fit(net, X, y, BinaryCrossEntropy(), epochs=epochs, batch_size=4, eta=eta, seed=seed)
            ''', fails=["q4_test_hidden_contract"]),
    },
    "q5_train_classifier": {
        "one point at a time (batch_size=1) instead of all N at once": Mistake('''
            def train_classifier(sizes, X, Y, activation=Sigmoid, eta=1.0, epochs=1000, seed=0):
                net = make_mlp(sizes, activation=activation, seed=seed)
                net.layers.append(activation())
                history = fit(net, X, Y, MeanSquaredError(), epochs=epochs, batch_size=1, eta=eta, seed=seed,
                              progress=False)
                return net, history
            ''', fails=["q5_test_hidden_architecture"]),
        "the weights always seeded with 0 (make_mlp's default), whatever seed is": Mistake('''
            def train_classifier(sizes, X, Y, activation=Sigmoid, eta=1.0, epochs=1000, seed=0):
                net = make_mlp(sizes, activation=activation)
                net.layers.append(activation())
                history = fit(net, X, Y, MeanSquaredError(), epochs=epochs, batch_size=len(X), eta=eta, seed=seed,
                              progress=False)
                return net, history
            ''', fails=["q5_test_hidden_learning"]),
        "the learning rate fixed at 1 instead of eta": Mistake('''
            def train_classifier(sizes, X, Y, activation=Sigmoid, eta=1.0, epochs=1000, seed=0):
                net = make_mlp(sizes, activation=activation, seed=seed)
                net.layers.append(activation())
                history = fit(net, X, Y, MeanSquaredError(), epochs=epochs, batch_size=len(X), eta=1.0, seed=seed,
                              progress=False)
                return net, history
            ''', fails=["q5_test_hidden_architecture"]),
    },
    "q6_polar_features": {
        "np.arctan of the ratio instead of np.arctan2: the wrong quadrant, and 0/0 at the centre": Mistake('''
            def polar_features(X, centre=(0.5, 0.5)):
                u = np.asarray(X, dtype=float) - np.asarray(centre, dtype=float)
                return np.column_stack([np.hypot(u[:, 0], u[:, 1]), np.arctan(u[:, 1] / u[:, 0])])
            ''', fails=["q6_test_visible", "q6_test_hidden_random", "q6_test_hidden_edges"]),
        "the centre subtracted in place: the caller's points change": Mistake('''
            def polar_features(X, centre=(0.5, 0.5)):
                X = np.asarray(X, dtype=float)
                X -= centre
                return np.column_stack([np.hypot(X[:, 0], X[:, 1]), np.arctan2(X[:, 1], X[:, 0])])
            ''', fails=["q6_test_hidden_random"]),
    },
}
