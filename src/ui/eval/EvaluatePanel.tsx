/** Evaluate tab: what the features know, as the DINO write-up measures it (k-NN, t-SNE), plus retrieval. */
import { EmbeddingMap } from './EmbeddingMap';
import { FeaturesSection } from './FeaturesSection';
import { KnnSection } from './KnnSection';
import { RetrievalGallery } from './RetrievalGallery';
import { useStore } from '../store';
import './eval.css';

export function EvaluatePanel() {
  const features = useStore((s) => s.features);
  return (
    <div className="evaluate-layout">
      <FeaturesSection />
      {features && (
        <>
          <KnnSection />
          <EmbeddingMap />
          <RetrievalGallery />
        </>
      )}
    </div>
  );
}
