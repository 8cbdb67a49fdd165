"""Assignment 1 (gradient descent): correct answers written differently, and typical mistakes (see __init__.py).

The questions are independent (the notebook says so): a mistake in Q1 costs no points in Q3 or Q4.
"""
from tests.fairness import Mistake

CORRECT = {
    "q1_optimize_f": {
        "lists and separate gradient variables": '''
            def optimize_f(x, y, eta, steps):
                x_hist = [x]
                y_hist = [y]
                for _ in range(steps):
                    gx = df_dx(x, y)
                    gy = df_dy(x, y)
                    x = x - eta * gx
                    y = y - eta * gy
                    x_hist.append(x)
                    y_hist.append(y)
                return x, y, f(x, y), x_hist, y_hist
            ''',
        "the point as one numpy vector, the histories as one array": '''
            def optimize_f(x, y, eta, steps):
                point = np.array([x, y], dtype=float)
                path = [point]
                for _ in range(steps):
                    gradient = np.array([df_dx(*point), df_dy(*point)])
                    point = point - eta * gradient
                    path.append(point)
                path = np.array(path)
                return point[0], point[1], f(*point), path[:, 0], path[:, 1]
            ''',
    },
    "q3_optimize_f_decay": {
        "the learning rate multiplied by decay after every step": '''
            def optimize_f(x, y, eta, steps, decay=1.0):
                xs, ys = np.empty(steps + 1), np.empty(steps + 1)
                xs[0], ys[0] = x, y
                eta_t = eta
                for t in range(steps):
                    xs[t + 1] = xs[t] - eta_t * df_dx(xs[t], ys[t])
                    ys[t + 1] = ys[t] - eta_t * df_dy(xs[t], ys[t])
                    eta_t *= decay
                return xs[-1], ys[-1], f(xs[-1], ys[-1]), xs, ys
            ''',
        "np.power, a while loop": '''
            def optimize_f(x, y, eta, steps, decay=1.0):
                x_hist, y_hist = [x], [y]
                t = 0
                while t < steps:
                    eta_t = eta * np.power(decay, t)
                    gx, gy = df_dx(x, y), df_dy(x, y)
                    x, y = x - eta_t * gx, y - eta_t * gy
                    x_hist.append(x)
                    y_hist.append(y)
                    t += 1
                return x, y, f(x, y), x_hist, y_hist
            ''',
    },
    "q4_tuned_hyperparameters": {
        "other values that reach f < -2": '''
            tuned_eta, tuned_decay, tuned_steps = 0.18, 0.97, 40
            ''',
        "a slower decay for more steps": '''
            tuned_eta = 0.2
            tuned_decay = 0.99
            tuned_steps = 1000
            ''',
    },
}

MISTAKES = {
    "q1_optimize_f": {
        "x moves before df_dy is taken": Mistake('''
            def optimize_f(x, y, eta, steps):
                x_hist, y_hist = [x], [y]
                for _ in range(steps):
                    x = x - eta * df_dx(x, y)
                    y = y - eta * df_dy(x, y)
                    x_hist.append(x)
                    y_hist.append(y)
                return x, y, f(x, y), x_hist, y_hist
            ''', fails=["q1_test_hidden"]),
        "histories without the start point": Mistake('''
            def optimize_f(x, y, eta, steps):
                x_hist, y_hist = [], []
                for _ in range(steps):
                    x, y = x - eta * df_dx(x, y), y - eta * df_dy(x, y)
                    x_hist.append(x)
                    y_hist.append(y)
                return x, y, f(x, y), x_hist, y_hist
            ''', fails=["q1_test_visible", "q1_test_hidden"]),
        "the learning rate hard-coded as 0.1": Mistake('''
            def optimize_f(x, y, eta, steps):
                x_hist, y_hist = [x], [y]
                for _ in range(steps):
                    x, y = x - 0.1 * df_dx(x, y), y - 0.1 * df_dy(x, y)
                    x_hist.append(x)
                    y_hist.append(y)
                return x, y, f(x, y), x_hist, y_hist
            ''', fails=["q1_test_hidden"]),
        "f at the start point returned": Mistake('''
            def optimize_f(x, y, eta, steps):
                f_start = f(x, y)
                x_hist, y_hist = [x], [y]
                for _ in range(steps):
                    x, y = x - eta * df_dx(x, y), y - eta * df_dy(x, y)
                    x_hist.append(x)
                    y_hist.append(y)
                return x, y, f_start, x_hist, y_hist
            ''', fails=["q1_test_visible", "q1_test_hidden"]),
        "the gradient added (ascent)": Mistake('''
            def optimize_f(x, y, eta, steps):
                x_hist, y_hist = [x], [y]
                for _ in range(steps):
                    x, y = x + eta * df_dx(x, y), y + eta * df_dy(x, y)
                    x_hist.append(x)
                    y_hist.append(y)
                return x, y, f(x, y), x_hist, y_hist
            ''', fails=["q1_test_visible", "q1_test_hidden"]),
    },
    "q3_optimize_f_decay": {
        "the first step already decayed (eta0 * d**(t + 1))": Mistake('''
            def optimize_f(x, y, eta, steps, decay=1.0):
                x_hist, y_hist = [x], [y]
                for t in range(steps):
                    eta_t = eta * decay ** (t + 1)
                    x, y = x - eta_t * df_dx(x, y), y - eta_t * df_dy(x, y)
                    x_hist.append(x)
                    y_hist.append(y)
                return x, y, f(x, y), x_hist, y_hist
            ''', fails=["q3_test_hidden"]),
        "eta * decay * t, a product instead of a power": Mistake('''
            def optimize_f(x, y, eta, steps, decay=1.0):
                x_hist, y_hist = [x], [y]
                for t in range(steps):
                    eta_t = eta * decay * t
                    x, y = x - eta_t * df_dx(x, y), y - eta_t * df_dy(x, y)
                    x_hist.append(x)
                    y_hist.append(y)
                return x, y, f(x, y), x_hist, y_hist
            ''', fails=["q3_test_visible", "q3_test_hidden"]),
        "eta / (1 + decay * t), another schedule": Mistake('''
            def optimize_f(x, y, eta, steps, decay=1.0):
                x_hist, y_hist = [x], [y]
                for t in range(steps):
                    eta_t = eta / (1 + decay * t)
                    x, y = x - eta_t * df_dx(x, y), y - eta_t * df_dy(x, y)
                    x_hist.append(x)
                    y_hist.append(y)
                return x, y, f(x, y), x_hist, y_hist
            ''', fails=["q3_test_visible", "q3_test_hidden"]),
        "the decay applied to x's step only": Mistake('''
            def optimize_f(x, y, eta, steps, decay=1.0):
                x_hist, y_hist = [x], [y]
                for t in range(steps):
                    x, y = x - eta * decay**t * df_dx(x, y), y - eta * df_dy(x, y)
                    x_hist.append(x)
                    y_hist.append(y)
                return x, y, f(x, y), x_hist, y_hist
            ''', fails=["q3_test_visible", "q3_test_hidden"]),
    },
    "q4_tuned_hyperparameters": {
        "a fixed step that stops in the local minimum": Mistake('''
            tuned_eta, tuned_decay, tuned_steps = 0.1, 1.0, 50
            ''', fails=["q4_test_hidden"]),
        "more steps than the 1000 the question allows": Mistake('''
            tuned_eta, tuned_decay, tuned_steps = 0.2, 0.995, 1500
            ''', fails=["q4_test_visible", "q4_test_hidden"]),
    },
}

