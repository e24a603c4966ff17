"""scikit-learn oracle fixtures for kioku's text baselines and multi-class reports.

Run by hand with Debian's scikit-learn (`apt-get install -y python3-sklearn`, then
`/usr/bin/python3 scripts/fixtures_text.py`) after `npx tsx scripts/fixtures_text_inputs.ts`
has written fixtures/text/spam-slice.json. Writes fixtures/text/sklearn.json:

- tfidf: TfidfVectorizer on pre-tokenized documents (tokens split on spaces) under several
  settings: feature names and the dense matrices of the training and of new documents;
- logistic: LogisticRegression (newton-cg to a tight tolerance, i.e. the optimum itself, which
  scikit-learn's lbfgs stops short of) on the SpamAssassin slice with TF-IDF 1-2-gram and
  bag-of-words features (test probabilities, accuracy), and a multinomial fit on dense 3-class data;
- report: precision, recall, F1, support (per class, macro, weighted) and the confusion matrix.
"""

import json
import os

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'fixtures', 'text', 'sklearn.json')
SLICE = os.path.join(HERE, '..', 'fixtures', 'text', 'spam-slice.json')

TRAIN_DOCS = [
    'the whale swam in the sea',
    'the white whale',
    'call me ishmael',
    'the sea the sea the sea',
    'a ship on the white sea',
    'ishmael saw the whale from the ship',
]
NEW_DOCS = ['the great white whale', 'unknown words only', 'sea sea ship', '']

# kioku option names → scikit-learn keyword arguments.
TFIDF_CASES = [
    ({}, {}),
    ({'ngramRange': [1, 2], 'sublinearTf': True}, {'ngram_range': (1, 2), 'sublinear_tf': True}),
    ({'smoothIdf': False, 'norm': 'l1'}, {'smooth_idf': False, 'norm': 'l1'}),
    ({'binary': True, 'useIdf': False}, {'binary': True, 'use_idf': False}),
    ({'minDf': 2, 'maxDf': 0.5, 'ngramRange': [1, 2]}, {'min_df': 2, 'max_df': 0.5, 'ngram_range': (1, 2)}),
    ({'norm': 'none', 'ngramRange': [2, 3]}, {'norm': None, 'ngram_range': (2, 3)}),
]


def vectorizer(**kwargs):
    return TfidfVectorizer(tokenizer=str.split, lowercase=False, token_pattern=None, **kwargs)


def tfidf_case(kioku, sk):
    v = vectorizer(**sk)
    train = v.fit_transform(TRAIN_DOCS).toarray()
    new = v.transform(NEW_DOCS).toarray()
    return {
        'options': kioku,
        'features': v.get_feature_names_out().tolist(),
        'train': train.tolist(),
        'new': new.tolist(),
    }


def logistic_case(name, kioku_vectorizer, sk_vectorizer, C, data):
    v = vectorizer(**sk_vectorizer)
    x_train = v.fit_transform(data['train']['docs'])
    x_test = v.transform(data['test']['docs'])
    model = LogisticRegression(C=C, solver='newton-cg', tol=1e-7, max_iter=1000)
    model.fit(x_train, data['train']['labels'])
    proba = model.predict_proba(x_test)
    return {
        'name': name,
        'vectorizer': kioku_vectorizer,
        'C': C,
        'features': x_train.shape[1],
        'iterations': int(model.n_iter_[0]),
        'testProba': proba[:, 1].tolist(),
        'testAccuracy': accuracy_score(data['test']['labels'], model.predict(x_test)),
    }


def multinomial_case():
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(size=(60, 5)), 3)
    w = rng.normal(size=(5, 3))
    y = np.argmax(x @ w + rng.normal(scale=1.0, size=(60, 3)), axis=1)
    model = LogisticRegression(C=0.5, solver='newton-cg', tol=1e-7, max_iter=1000).fit(x, y)
    return {'C': 0.5, 'x': x.tolist(), 'y': y.tolist(), 'proba': model.predict_proba(x).tolist()}


def report_case():
    y_true = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 0, 1, 2, 2]
    y_pred = [0, 1, 0, 1, 4, 2, 2, 0, 2, 0, 1, 0, 1, 2, 4]
    labels = list(range(5))
    out = {'yTrue': y_true, 'yPred': y_pred, 'numClasses': 5}
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    out['perClass'] = {'precision': p.tolist(), 'recall': r.tolist(), 'f1': f.tolist(), 'support': s.tolist()}
    for avg in ('macro', 'weighted'):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0, average=avg)
        out[avg] = {'precision': p, 'recall': r, 'f1': f}
    out['accuracy'] = accuracy_score(y_true, y_pred)
    out['confusion'] = confusion_matrix(y_true, y_pred, labels=labels).tolist()
    return out


def main():
    with open(SLICE) as f:
        data = json.load(f)
    fixture = {
        'sklearn': sklearn.__version__,
        'tfidf': {'trainDocs': TRAIN_DOCS, 'newDocs': NEW_DOCS, 'cases': [tfidf_case(k, s) for k, s in TFIDF_CASES]},
        'logistic': [
            logistic_case(
                'tfidf 1-2-grams',
                {'ngramRange': [1, 2], 'minDf': 2, 'sublinearTf': True},
                {'ngram_range': (1, 2), 'min_df': 2, 'sublinear_tf': True},
                10.0,
                data,
            ),
            logistic_case('bag of words', {'useIdf': False}, {'use_idf': False}, 10.0, data),
        ],
        'multinomial': multinomial_case(),
        'report': report_case(),
    }
    with open(OUT, 'w') as f:
        json.dump(fixture, f)
    for case in fixture['logistic']:
        print(case['name'], 'features', case['features'], 'iterations', case['iterations'], 'test accuracy', case['testAccuracy'])


if __name__ == '__main__':
    main()
