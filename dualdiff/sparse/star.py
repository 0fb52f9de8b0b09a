"""Star colouring of a symmetric pattern, for Hessians recovered directly from H·S.

The *adjacency graph* of a symmetric n × n pattern P has the vertices 0..n-1 and an edge
{i, j} for every off-diagonal entry P[i, j] (the diagonal is ignored).  A *star
colouring* is a colouring of its vertices such that

* adjacent vertices have different colours (distance-1 colouring), and
* every path on four vertices uses at least three colours (no path a–b–c–d with
  colour(a) = colour(c) and colour(b) = colour(d)): every two-coloured connected
  subgraph is a star.

With the seed matrix S (n × c), S[j, color[j]] = 1, the symmetric H is recovered
*directly* from B = H·S (Coleman and Moré 1984; Gebremedhin, Manne and Pothen, SIAM
Review 47 (2005), section 4):

* H[i, i] = B[i, color i] (no neighbour of i shares its colour);
* for i ≠ j, H[i, j] = B[i, color j] when no other entry of row i has the colour of j,
  else H[i, j] = H[j, i] = B[j, color i].  One of the two always holds: if colour(j)
  were repeated in row i (by j' ≠ j) and colour(i) in row j (by i' ≠ i), then
  j'–i–j–i' would be a two-coloured path on four vertices.

A distance-2 colouring of the columns (:func:`~dualdiff.sparse.color_columns`) is a star
colouring too, but needs at least max-row-count colours: n for an arrowhead, where a
star colouring needs 2 (the hub one colour, all the other vertices another).

The colouring is greedy (Gebremedhin, Tarafdar, Manne and Pothen, "New acyclic and star
coloring algorithms with application to computing Hessians", SIAM J. Sci. Comput. 29
(2007), Algorithm 4.1): the vertices are coloured in some order, and the two-coloured
stars formed so far are kept (each edge belongs to one star, each star has a hub once it
has two edges).  A vertex v may not take

* the colour of a coloured neighbour (distance 1);
* if two coloured neighbours q, w of v share a colour, the colours of the neighbours of
  q and w (v becomes the hub of a star with the leaves q and w);
* the colour of x when v–w–x with x the hub of the star of the edge {w, x} (v would
  extend that star at a leaf into a two-coloured path on four vertices).

Each vertex costs the sum of its neighbours' degrees, so the colouring is
O(nnz · max degree), compiled with numba.  The orders are those of the column colouring
(largest first, smallest last, incidence degree, natural) on the adjacency graph; the
one with the fewest colours is kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numba import njit, types
from numba.typed import Dict

from .coloring import ORDERS, _degrees, _incidence_degree, _smallest_last

__all__ = ["star_color", "is_valid_star_coloring", "adjacency"]


def adjacency(pattern: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The adjacency graph of a square pattern made symmetric (P + Pᵀ, diagonal dropped).

    Returns (ptr, adj, eid, n): the neighbours of v are adj[ptr[v]:ptr[v + 1]] (sorted),
    and eid[p] numbers the undirected edge {v, adj[p]} (0..ne-1, the same from both ends).
    """
    P = sp.csr_array(pattern) if sp.issparse(pattern) else sp.csr_array(np.asarray(pattern) != 0)
    if P.ndim != 2 or P.shape[0] != P.shape[1]:
        raise ValueError(f"a star colouring needs a square (symmetric) pattern, got shape {P.shape}")
    n = P.shape[0]
    A = sp.csr_array(P != 0).astype(np.int8)
    A = sp.csr_array(A + A.T)
    A.setdiag(0)
    A.eliminate_zeros()
    A.sort_indices()
    ptr = A.indptr.astype(np.int64)
    adj = A.indices.astype(np.int64)
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    # the position of the mirror (j, i) of every position (i, j): the transpose's CSR
    T = sp.csr_array((np.arange(1, adj.size + 1, dtype=np.int64), adj, ptr), shape=(n, n))
    T = sp.csr_array(T.T)
    T.sort_indices()
    mirror = T.data - 1
    upper = rows < adj
    ids = np.cumsum(upper) - 1
    eid = np.where(upper, ids, ids[mirror]).astype(np.int64)
    return ptr, adj, eid, n


@njit(cache=True, nogil=True)
def _forbid_around(v, q, ptr, adj, color, forbidden, treated):  # pragma: no cover - compiled
    """Forbid for v the colours of the coloured neighbours of q."""
    for r in range(ptr[q], ptr[q + 1]):
        cx = color[adj[r]]
        if cx >= 0:
            forbidden[cx] = v
    treated[q] = v


@njit(cache=True, nogil=True)
def _star_greedy(order, ptr, adj, eid, ends, n, ne):  # pragma: no cover - compiled
    color = np.full(n, -1, np.int64)
    forbidden = np.full(n + 1, -1, np.int64)
    # per colour: the vertex being coloured when a neighbour of this colour was first met,
    # that neighbour and the edge between them
    first_v = np.full(n + 1, -1, np.int64)
    first_w = np.full(n + 1, -1, np.int64)
    first_e = np.full(n + 1, -1, np.int64)
    treated = np.full(n, -1, np.int64)
    m = max(ne, 1)
    star = np.full(m, -1, np.int64)  # the star of each edge
    hub = np.full(m, -1, np.int64)  # the hub of each star (-1: two vertices, no hub yet)
    # the edges at which a vertex is a leaf of a star with a hub: a list per vertex
    # (head[u], then nxt[edge]), the hub at the other end of the edge in tip[edge]
    head = np.full(n, -1, np.int64)
    nxt = np.full(m, -1, np.int64)
    tip = np.full(m, -1, np.int64)
    # the edge from vertex u to a neighbour of colour k, by key u * (n + 1) + k (the
    # edge e joins ends[2e] and ends[2e + 1])
    coloured_nbr = Dict.empty(key_type=types.int64, value_type=types.int64)
    nstars = 0
    ncolors = 0
    for t in range(order.size):
        v = order[t]
        for p in range(ptr[v], ptr[v + 1]):
            w = adj[p]
            cw = color[w]
            if cw < 0:
                continue
            forbidden[cw] = v
            if first_v[cw] == v:  # a second neighbour of colour cw: v will be a hub
                q = first_w[cw]
                if treated[q] != v:
                    _forbid_around(v, q, ptr, adj, color, forbidden, treated)
                if treated[w] != v:
                    _forbid_around(v, w, ptr, adj, color, forbidden, treated)
            else:
                first_v[cw], first_w[cw], first_e[cw] = v, w, eid[p]
                e = head[w]
                while e >= 0:  # w a leaf of a star with hub x: v-w-x-(another leaf) forbids colour(x)
                    forbidden[color[tip[e]]] = v
                    e = nxt[e]
        c = 0
        while forbidden[c] == v:
            c += 1
        color[v] = c
        if c + 1 > ncolors:
            ncolors = c + 1
        # the stars of v's edges to coloured neighbours
        for p in range(ptr[v], ptr[v + 1]):
            w = adj[p]
            cw = color[w]
            if cw < 0:
                continue
            ev = eid[p]
            key = w * (n + 1) + c
            if key in coloured_nbr:  # v-w-x two-coloured: w is the hub, v a leaf
                ewx = coloured_nbr[key]
                x = ends[2 * ewx] + ends[2 * ewx + 1] - w
                s = star[ewx]
                if hub[s] < 0:  # the star was the edge w-x alone: x becomes a leaf
                    hub[s] = w
                    _push_leaf(x, ewx, w, head, nxt, tip)
                star[ev] = s
                _push_leaf(v, ev, w, head, nxt, tip)
            elif first_v[cw] == v and first_w[cw] != w:  # q-v-w, colour(q) = colour(w): v is the hub
                q = first_w[cw]
                s = star[first_e[cw]]
                if hub[s] < 0:
                    hub[s] = v
                    _push_leaf(q, first_e[cw], v, head, nxt, tip)
                star[ev] = s
                _push_leaf(w, ev, v, head, nxt, tip)
            else:  # a new star of the edge v-w alone
                star[ev] = nstars
                nstars += 1
        for p in range(ptr[v], ptr[v + 1]):
            key = adj[p] * (n + 1) + c
            if key not in coloured_nbr:
                coloured_nbr[key] = eid[p]
    return color, ncolors


@njit(cache=True, nogil=True)
def _push_leaf(u, e, h, head, nxt, tip):  # pragma: no cover - compiled
    nxt[e] = head[u]
    tip[e] = h
    head[u] = e


def star_color(pattern: Any, order: str = "best") -> np.ndarray:
    """A star colouring of the adjacency graph of the square pattern (made symmetric).

    Colours 0..c-1 such that adjacent vertices differ and no path on four vertices is
    two-coloured; then every entry of the symmetric H is read directly from B = H·S
    (S[j, color[j]] = 1): H[i, j] = B[i, color j] if colour(j) occurs once in row i of
    the pattern, else B[j, color i] (see the module docstring).

    Args:
        pattern: the n × n sparsity pattern (scipy sparse or array-like; P + Pᵀ is used,
            the diagonal does not matter).
        order: ``"best"`` (default: largest-first, smallest-last, incidence-degree and
            natural orders, the fewest colours kept) or one of those four names.

    Returns:
        int64 array of length n; the number of colours is ``colors.max() + 1``.
        Arrowhead: 2 (distance-2: n); tridiagonal: 3 (the optimum for a path of 4 or
        more vertices); diagonal: 1.
    """
    if order != "best" and order not in ORDERS:
        raise ValueError(f"order must be 'best' or one of {ORDERS}, got {order!r}")
    ptr, adj, eid, n = adjacency(pattern)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ne = int(eid.max()) + 1 if eid.size else 0
    # the incidence structure: "rows" are the edges, so columns sharing a row are adjacent
    ends = np.empty(2 * ne, np.int64)
    v_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    lower = v_of < adj
    ends[2 * eid[lower]] = v_of[lower]
    ends[2 * eid[lower] + 1] = adj[lower]
    eptr = np.arange(0, 2 * ne + 1, 2, dtype=np.int64)
    names = ORDERS if order == "best" else (order,)
    deg = np.diff(ptr)
    best, best_c = None, None
    for name in names:
        if name == "natural":
            o = np.arange(n, dtype=np.int64)
        elif name == "largest_first":
            o = np.argsort(-deg, kind="stable").astype(np.int64)
        elif name == "smallest_last":
            o = _smallest_last(_degrees(ptr, eid, eptr, ends, n), ptr, eid, eptr, ends, n)
        else:
            o = _incidence_degree(_degrees(ptr, eid, eptr, ends, n), ptr, eid, eptr, ends, n)
        colors, c = _star_greedy(o, ptr, adj, eid, ends, n, ne)
        if best_c is None or c < best_c:
            best, best_c = colors, c
    return best


def _row_colour_counts(ptr: np.ndarray, adj: np.ndarray, colors: np.ndarray, n: int) -> np.ndarray:
    """For each adjacency position p (edge v–adj[p]): how often colour(adj[p]) occurs
    among the neighbours of v."""
    v_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    c = int(colors.max()) + 1
    keys = v_of * c + colors[adj]
    _, inv, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return counts[inv.reshape(-1)]


def is_valid_star_coloring(pattern: Any, colors: np.ndarray) -> bool:
    """True when ``colors`` is a star colouring of the square pattern's adjacency graph
    (P + Pᵀ, diagonal ignored): adjacent vertices differ, and no path a–b–c–d has
    colour(a) = colour(c) and colour(b) = colour(d).

    Such a path exists exactly when some edge {b, c} has colour(c) twice among b's
    neighbours and colour(b) twice among c's; that is checked for every edge, O(nnz log nnz).
    """
    ptr, adj, eid, n = adjacency(pattern)
    colors = np.asarray(colors)
    if colors.shape != (n,) or colors.dtype.kind not in "iu":
        return False
    colors = colors.astype(np.int64)
    if n == 0 or adj.size == 0:
        return bool(n == 0 or colors.min() >= 0)
    if colors.min() < 0:
        return False
    v_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    if np.any(colors[v_of] == colors[adj]):
        return False
    twice = _row_colour_counts(ptr, adj, colors, n) >= 2  # at position (v, w): colour(w) repeated around v
    # the mirror of position (v, w) is (w, v): same edge id, the other end
    by_edge = np.zeros(int(eid.max()) + 1, np.int64)
    np.add.at(by_edge, eid, twice.astype(np.int64))
    return bool(not np.any(by_edge == 2))
