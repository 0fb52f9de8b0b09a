"""The chain rule, for free: differentiate the composition and dual numbers apply the
chain rule step by step. Two textbook cases, against their exact answers:

1. z = x^2 + y^2 with x = sin t, y = cos t:  z = 1, so dz/dt = 0
   (chain rule: dz/dt = 2x cos t - 2y sin t = 2 sin t cos t - 2 cos t sin t = 0);
2. z = x y with x = s + t, y = s - t:  z = s^2 - t^2, so dz/ds = 2s and dz/dt = -2t
   (chain rule: dz/ds = y + x = 2s, dz/dt = y - x = -2t).

    python examples/chain_rule.py
"""

import numpy as np

import dualdiff as dd

# -- 1. one parameter ----------------------------------------------------------------------------
print("1. z = x^2 + y^2, x = sin t, y = cos t: dz/dt = 0 for every t")


def z1(x, y):
    return x**2 + y**2


def path(t):
    return np.sin(t), np.cos(t)


def z1_of_t(t):
    return z1(*path(t))


print(f"   {'t':>6} {'z(t)':>6} {'dz/dt (composition)':>20} {'dz/dt (grad z . dx/dt)':>23} {'d2z/dt2':>9}")
for t in (0.0, 0.5, 1.0, 2.0, np.pi / 3, 10.0):
    direct = dd.derivative(z1_of_t)(t)                 # differentiate the composition
    x, y = path(t)
    grad_z = dd.grad(lambda p: z1(p[0], p[1]))(np.array([x, y]))
    velocity = dd.derivative(lambda t: np.array(path(t)))(t)   # (dx/dt, dy/dt) = (cos t, -sin t)
    by_parts = grad_z @ velocity                       # the chain rule written out
    curvature = dd.second_derivative(z1_of_t)(t)
    print(f"   {t:6.3f} {z1_of_t(t):6.3f} {direct:20.2e} {by_parts:23.2e} {curvature:9.2e}")
    assert abs(direct) < 1e-15 and abs(by_parts) < 1e-15 and abs(curvature) < 1e-14

# -- 2. two parameters ---------------------------------------------------------------------------
print("\n2. z = x y, x = s + t, y = s - t: dz/ds = 2s, dz/dt = -2t")


def z2(x, y):
    return x * y


def xy_of(st):
    s, t = st
    return np.array([s + t, s - t])


def z2_of(st):
    return z2(*xy_of(st))


print(f"   {'(s, t)':>12} {'grad by dd.grad':>18} {'J^T grad z':>16} {'exact (2s, -2t)':>16}")
for s, t in ((1.0, 2.0), (-0.5, 0.25), (3.0, -4.0), (0.0, 0.0)):
    st = np.array([s, t])
    direct = dd.grad(z2_of)(st)
    # the chain rule as a matrix product: dz/d(s,t) = J(s,t)^T grad z(x, y), J = d(x,y)/d(s,t)
    jac = dd.jacobian(xy_of)(st)                       # [[1, 1], [1, -1]]
    grad_z = dd.grad(lambda p: z2(p[0], p[1]))(xy_of(st))
    by_parts = jac.T @ grad_z
    exact = np.array([2 * s, -2 * t]) + 0.0  # (+ 0.0 turns -0.0 into 0.0)
    print(f"   {f'({s:g}, {t:g})':>12} {np.array2string(direct):>18} {np.array2string(by_parts):>16} "
          f"{np.array2string(exact):>16}")
    assert np.array_equal(direct, exact) and np.array_equal(by_parts, exact)
print("   Hessian of z(s, t) = s^2 - t^2:", dd.hessian(z2_of)(np.array([1.0, 2.0])).tolist())
print("\nall equal to the exact values")
