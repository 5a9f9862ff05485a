# Writes from_python.pkl: the answer examples/interop's Python script gives
# for the Person that Go sends (the same value with the same changes),
# pickled at protocol 2. Run from this directory: python3 gen.py
import pickle

obj = {
    'name': 'Ada Lovelace',
    'age': 36,
    'address': {'street': "12 St James's Square", 'city': 'London'},
    'tags': ['mathematician', 'writer'],
    'scores': {'analysis': 9.5, 'poetry': 7.25},
    'avatar': b'\x89PNG',
    'balance': 123456789012345678901234567890,
}
# The same change as pythonScript in main.go.
obj['age'] += 1
obj['tags'].append('python')
obj['scores']['python'] = 3.5
obj['avatar'] = obj['avatar'] + b'\xff\x00'
obj['balance'] *= 1000
obj['address']['city'] = obj['address']['city'].upper()

with open('from_python.pkl', 'wb') as f:
    f.write(pickle.dumps(obj, protocol=2))
