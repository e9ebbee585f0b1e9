"""Reference values for src/metrics/protocols.ts, re-stated in numpy from each paper's code.

Run: /usr/bin/python3 tools/metrics/reference.py > test/fixtures/metrics/protocols.json

Formulas (restated, not imported):
- melas-kyriazi (lukemelas/unsupervised-image-segmentation src/segmentation/metrics.py):
  hard = p > 0.5; acc = mean(hard == gt); iou = |hard & gt| / |hard | gt| (nan -> 0);
  for t in np.arange(0, 1, 1/255)[1:]: P = TP/|p>t| (1 if empty), R = TP/|gt| (1 if empty),
  F = 1.3PR/(0.3P+R) (nan -> 0); f_max = max_t mean_images F.
- voynov (anvoynov/BigGANsAreWatching metrics.py + Threshold): hard = p >= 0.5, gt = gt != 0,
  iou nan on empty union (kept), thresholds include 0.
- labels4free (Labels4Free test_customdata.py): x -> int(x) on x in [0,1]; confusion [gt, pred];
  per class A, R, P, F1, IoU with eps 1e-4; m* = mean over the two classes.
- ilsgan (ILSGAN eval_segmentation.py calc_metrics): C[pred, gt]; pACC; IoU_c with union 0 -> 1e-8;
  DRC_IoU = mean(|p&g| / |p|g|), DRC_DICE = mean(2|p&g| / (|p|+|g|)).
- ganseg (GANSeg test_seg.py): float32 |p&g| / (|p|g| + 1e-6), mean over images.
"""
import json
import numpy as np

F32 = np.float32


def mae(p, g):
    return float(np.mean(np.abs(p.astype(np.float64) - g.astype(np.float64))))


def per_image_fmax(imgs, gt_rule, hard_rule, thresholds, empty_union):
    acc, iou, F, m = [], [], [], []
    for p, g in imgs:
        gb = gt_rule(g)
        hb = hard_rule(p)
        acc.append(np.mean(hb == gb))
        u = np.sum(hb | gb)
        iou.append(np.sum(hb & gb) / u if u > 0 else empty_union)
        m.append(mae(p, gb))
        row = []
        for t in thresholds:
            mk = p > F32(t)
            tp = np.sum(mk & gb)
            P = tp / mk.sum() if mk.sum() > 0 else 1.0
            R = tp / gb.sum() if gb.sum() > 0 else 1.0
            den = 0.3 * P + R
            f = 1.3 * P * R / den if den > 0 else 0.0
            row.append(f)
        F.append(row)
    F = np.array(F).mean(axis=0)
    return dict(acc=float(np.mean(acc)), iou=float(np.mean(iou)), f_max=float(F.max()),
                f_max_threshold=float(F32(thresholds[int(F.argmax())])), mae=float(np.mean(m)))


def labels4free(imgs):
    cm = np.zeros((2, 2))
    m = []
    for p, g in imgs:
        gi = g.astype(np.float64).astype(int)  # int(v/255) of 8-bit values
        pi = p.astype(np.float64).astype(int)
        cm += np.bincount(2 * gi.ravel() + pi.ravel(), minlength=4).reshape(2, 2)
        m.append(mae(p, gi))
    eps = 1e-4
    total = cm.sum()
    tp = np.diag(cm)
    fptp = cm.sum(axis=0)
    fntp = cm.sum(axis=1)
    A = (total - (fptp + fntp - 2 * tp)) / total
    R = tp / (eps + fntp)
    P = tp / (eps + fptp)
    F1 = 2 * P * R / (eps + P + R)
    IOU = tp / (eps + fptp + fntp - tp)
    out = {}
    for c, name in enumerate(['bg', 'fg']):
        out.update({f'IoU_{name}': IOU[c], f'F1_{name}': F1[c], f'Prec_{name}': P[c], f'recall_{name}': R[c], f'Acc_{name}': A[c]})
    out.update(mIoU=IOU.mean(), mF1=F1.mean(), mPrec=P.mean(), mRecall=R.mean(), mAcc=A.mean(),
               tn=cm[0, 0], fp=cm[0, 1], fn=cm[1, 0], tp=cm[1, 1], mae=float(np.mean(m)))
    return {k: float(v) for k, v in out.items()}


def ilsgan(imgs):
    C = np.zeros((2, 2), dtype=np.int64)
    ious, dices, m = [], [], []
    for p, g in imgs:
        pm = (p > 0.5).astype(np.int64)
        gm = (g > 0.5).astype(np.int64)
        C += np.bincount(2 * pm.ravel() + gm.ravel(), minlength=4).reshape(2, 2)
        with np.errstate(invalid='ignore', divide='ignore'):
            ious.append(np.float64((pm * gm).sum()) / np.float64(((pm + gm) > 0).sum()))
            dices.append(2 * np.float64((pm * gm).sum()) / np.float64(pm.sum() + gm.sum()))
        m.append(mae(p, gm))
    C = C.astype(np.float64)
    union = C.sum(axis=1) + C.sum(axis=0) - C.diagonal()
    union[union == 0] = 1e-8
    iou_vals = C.diagonal() / union
    return dict(pACC=float(C.diagonal().sum() / C.sum()), IoU=float(iou_vals[1]), mIoU=float(iou_vals.mean()),
                DRC_IoU=float(np.mean(ious)), DRC_DICE=float(np.mean(dices)), mae=float(np.mean(m)))


def ganseg(imgs):
    s, m = 0.0, []
    for p, g in imgs:
        pm = p > 0.5
        gm = g > 0.5
        inter = F32((pm & gm).sum())
        union = F32((pm | gm).sum())
        s += float(inter / (union + F32(1e-6)))
        m.append(mae(p, gm))
    return dict(test_iou=s / len(imgs), mae=float(np.mean(m)))


def expected(imgs):
    return {
        'melas-kyriazi': per_image_fmax(imgs, lambda g: g > 0.5, lambda p: p > 0.5, np.arange(0.0, 1.0, 1.0 / 255)[1:], 0.0),
        'voynov': per_image_fmax(imgs, lambda g: g != 0, lambda p: p >= 0.5, np.arange(0.0, 1.0, 1.0 / 255), float('nan')),
        'labels4free': labels4free(imgs),
        'ilsgan': ilsgan(imgs),
        'ganseg': ganseg(imgs),
    }


def blob(rng, h, w):
    yy, xx = np.mgrid[0:h, 0:w]
    cy, cx = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w
    r = rng.uniform(0.2, 0.4) * min(h, w)
    return ((yy - cy) ** 2 + (xx - cx) ** 2) < r * r


def make_images(rng, n, quantize):
    imgs = []
    for i in range(n):
        h, w = int(rng.integers(5, 14)), int(rng.integers(5, 14))
        g = blob(rng, h, w).astype(F32)
        noise = rng.normal(0, 0.3, (h, w))
        p = np.clip(0.15 + 0.7 * g + noise, 0, 1)
        if quantize:  # 8-bit PNG-like values, exercising the k/255 threshold edges
            p = np.round(p * 255) / 255
            g = np.where(rng.uniform(size=(h, w)) < 0.1, np.round(rng.uniform(size=(h, w)) * 255) / 255, g)
        p = p.astype(F32)
        g = g.astype(F32)
        if i == 0:
            p.flat[0] = F32(0.5)
        imgs.append((p, g))
    return imgs


def to_json(imgs):
    return [dict(h=int(p.shape[0]), w=int(p.shape[1]), pred=[float(v) for v in p.ravel()], gt=[float(v) for v in g.ravel()]) for p, g in imgs]


def main():
    rng = np.random.default_rng(1234)
    cases = []
    for name, imgs in [('soft', make_images(rng, 6, False)), ('quantized', make_images(rng, 6, True))]:
        cases.append(dict(name=name, images=to_json(imgs), expected=expected(imgs)))
    # edge: empty prediction, empty ground truth, both empty (NaN in voynov and ilsgan DRC)
    e1 = (np.zeros((4, 5), F32), blob(rng, 4, 5).astype(F32))
    e2 = (np.full((4, 5), 0.9, F32), np.zeros((4, 5), F32))
    e3 = (np.zeros((3, 3), F32), np.zeros((3, 3), F32))
    e4 = (np.ones((3, 4), F32), np.ones((3, 4), F32))
    edge = [e1, e2, e3, e4]
    cases.append(dict(name='edge', images=to_json(edge), expected=expected(edge)))
    print(json.dumps(dict(cases=cases), allow_nan=True).replace("NaN", "\"NaN\""))


if __name__ == '__main__':
    main()
